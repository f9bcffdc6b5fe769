
-- ---------------------------------------------------------------------------
-- Streams, gzip and server files: objects larger than memory
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.wos_put_stream(policy text DEFAULT NULL, meta jsonb DEFAULT '{}',
                                            compress boolean DEFAULT false)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'wos_put_stream' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_put_stream(text, jsonb, boolean) IS
    'open a put stream for a new object (compress: store it gzipped); it lasts until wos_stream_close() or the end of the transaction';

CREATE FUNCTION @extschema@.wos_stream_write(stream integer, data bytea) RETURNS bigint
    AS 'MODULE_PATHNAME', 'wos_stream_write' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_stream_write(integer, bytea) IS
    'append data to a put stream; returns the bytes written to it so far (before compression)';

CREATE FUNCTION @extschema@.wos_stream_close(stream integer) RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME', 'wos_stream_close' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_stream_close(integer) IS
    'finish a put stream''s object and return its id; visible at commit, gone on rollback';

CREATE FUNCTION @extschema@.wos_stream_get(oid @extschema@.wosoid, chunk_size integer DEFAULT NULL,
                                            decompress boolean DEFAULT false)
    RETURNS SETOF bytea
    AS 'MODULE_PATHNAME', 'wos_stream_get' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.wos_stream_get(@extschema@.wosoid, integer, boolean) IS
    'the object''s bytes in order, chunk by chunk (default eoswath.io_block_size), checksum verified at the end; decompress: inflate gzip';

CREATE FUNCTION @extschema@.wos_put_file(path text, policy text DEFAULT NULL, meta jsonb DEFAULT '{}',
                                          compress boolean DEFAULT false)
    RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME', 'wos_put_file' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_put_file(text, text, jsonb, boolean) IS
    'store a file on the database server as a new object (needs pg_read_server_files)';

CREATE FUNCTION @extschema@.wos_get_file(oid @extschema@.wosoid, path text, decompress boolean DEFAULT false,
                                          overwrite boolean DEFAULT false)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'wos_get_file' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_get_file(@extschema@.wosoid, text, boolean, boolean) IS
    'write an object to a new file on the database server, atomically; returns the bytes written (needs pg_write_server_files)';

REVOKE ALL ON FUNCTION
    @extschema@.wos_put_stream(text, jsonb, boolean),
    @extschema@.wos_stream_write(integer, bytea),
    @extschema@.wos_stream_close(integer),
    @extschema@.wos_stream_get(@extschema@.wosoid, integer, boolean),
    @extschema@.wos_put_file(text, text, jsonb, boolean),
    @extschema@.wos_get_file(@extschema@.wosoid, text, boolean, boolean)
FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    @extschema@.wos_stream_get(@extschema@.wosoid, integer, boolean),
    @extschema@.wos_get_file(@extschema@.wosoid, text, boolean, boolean)
TO eoswath_reader;

GRANT EXECUTE ON FUNCTION
    @extschema@.wos_put_stream(text, jsonb, boolean),
    @extschema@.wos_stream_write(integer, bytea),
    @extschema@.wos_stream_close(integer),
    @extschema@.wos_put_file(text, text, jsonb, boolean)
TO eoswath_writer;
