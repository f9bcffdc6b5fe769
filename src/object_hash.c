/*
 * object_hash.c
 *		SHA-256 contexts for the object library (OpenSSL's EVP interface).
 *
 * A context lives in the memory context current when it is made and is
 * freed through a reset callback on it, so it goes on every path,
 * including errors.
 */
#include "eoswath.h"

#include <openssl/evp.h>

#include "utils/memutils.h"

#include "object.h"

static void
sha256_free_callback(void *arg)
{
	EVP_MD_CTX_free((EVP_MD_CTX *) arg);
}

/* A new SHA-256 context, freed with the current memory context. */
Sha256Ctx *
sha256_begin(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	MemoryContextCallback *cb;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
	{
		EVP_MD_CTX_free(md);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not initialise a SHA-256 context")));
	}
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = sha256_free_callback;
	cb->arg = md;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	return md;
}

/* Start over (a reader that moved to another copy). */
void
sha256_restart(Sha256Ctx *md)
{
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		elog(ERROR, "SHA-256 initialisation failed");
}

void
sha256_update(Sha256Ctx *md, const void *data, size_t len)
{
	if (EVP_DigestUpdate(md, data, len) != 1)
		elog(ERROR, "SHA-256 update failed");
}

void
sha256_final(Sha256Ctx *md, uint8 *out)
{
	unsigned int len;

	if (EVP_DigestFinal_ex(md, out, &len) != 1 || len != WOS_SHA256_LEN)
		elog(ERROR, "SHA-256 finalisation failed");
}

/* The digest as 64 lower-case hex digits. */
char *
sha256_hex(const uint8 *digest)
{
	char	   *s = palloc(WOS_SHA256_LEN * 2 + 1);

	for (int i = 0; i < WOS_SHA256_LEN; i++)
		sprintf(s + 2 * i, "%02x", digest[i]);
	return s;
}
