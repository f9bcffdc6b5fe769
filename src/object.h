/*
 * object.h
 *		Objects over sites: writing every copy a policy asks for, reading
 *		from a good copy with checksum verification, and repair.
 */
#ifndef EOSWATH_OBJECT_H
#define EOSWATH_OBJECT_H

#include "eoswath.h"
#include "store.h"

typedef struct ObjectWriter ObjectWriter;
typedef struct ObjectReader ObjectReader;

/* writing */
extern ObjectWriter *object_write_begin(WosOid oid, Policy *policy);
extern void object_write(ObjectWriter *w, const char *data, size_t len);
extern void object_write_finish(ObjectWriter *w, ObjectRecord *rec);
extern int64 object_written(ObjectWriter *w);

/* reading */
extern ObjectReader *object_open(ObjectRecord *rec, bool verify);
extern size_t object_read(ObjectReader *r, char *buf, size_t len);
extern size_t object_pread(ObjectReader *r, char *buf, size_t len, int64 offset);
extern void object_close(ObjectReader *r);
extern bytea *object_read_all(ObjectRecord *rec);
extern StoreSite *object_reader_site(ObjectReader *r);

/* checking copies */
typedef enum CopyStatus
{
	COPY_OK,
	COPY_MISSING,
	COPY_BAD_SIZE,
	COPY_BAD_CHECKSUM,
	COPY_NO_SITE
} CopyStatus;

extern const char *copy_status_name(CopyStatus s);
extern CopyStatus object_check_copy(ObjectRecord *rec, StoreSite *site);
extern CopyStatus object_copy_presence(ObjectRecord *rec, StoreSite *site);
extern bool object_repair(ObjectRecord *rec, StoreSite *from, List *to);
extern List *object_sites(ObjectRecord *rec);
extern void object_require_stored(ObjectRecord *rec);

#endif							/* EOSWATH_OBJECT_H */
