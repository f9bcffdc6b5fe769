-- ---------------------------------------------------------------------------
-- Block checksums: a SHA-256 per block of every object's stored bytes, so
-- that ranged and streamed reads verify every byte before returning it
-- ---------------------------------------------------------------------------

ALTER TABLE eoswath.objects ADD COLUMN block_size integer CHECK (block_size > 0);
ALTER TABLE eoswath.objects ADD COLUMN block_sha256 bytea;
-- random digests do not compress: keep them uncompressed, so that a ranged
-- read fetches only the slice of the digests it needs
ALTER TABLE eoswath.objects ALTER COLUMN block_sha256 SET STORAGE EXTERNAL;
ALTER TABLE eoswath.objects ADD CONSTRAINT objects_block_sha256_check
    CHECK ((block_size IS NULL) = (block_sha256 IS NULL)
           AND (block_sha256 IS NULL
                OR (state = 'stored'
                    AND length(block_sha256) = 32 * ((size + block_size - 1) / block_size))));
COMMENT ON COLUMN eoswath.objects.block_size IS
    'bytes per block of block_sha256 (eoswath.block_size when the object was put); NULL: whole-object checksum only (objects stored by 0.1.0, until wos_verify() or the scrub fills it)';
COMMENT ON COLUMN eoswath.objects.block_sha256 IS
    'the SHA-256 of each block_size block of the stored bytes (the last one shorter), 32 bytes each, concatenated';
