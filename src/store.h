/*
 * store.h
 *		The interface every storage backend implements.  A site is one
 *		failure domain (a directory on its own disk, an S3 bucket on a
 *		cluster); a backend is the code for one kind of site.  Nothing above
 *		this header knows which backend it talks to.
 *
 * Rules every backend follows:
 *	- A write is invisible under the object's name until finish_write()
 *	  returns, and durable when it returns (fsync, or the server's 200).
 *	- write() and finish_write() return false when the site ran out of
 *	  space (ENOSPC or EDQUOT, an S3 quota or 507): the caller aborts that
 *	  copy and may place it on another site.  Every other failure is an
 *	  ERROR.
 *	- abort_write() and remove() run inside transaction callbacks: they
 *	  never raise an ERROR, they log a WARNING and return false.
 *	- Handles hold resources outside palloc (descriptors, curl handles):
 *	  they are released at transaction end whatever happens.
 */
#ifndef EOSWATH_STORE_H
#define EOSWATH_STORE_H

#include "eoswath.h"

#include "utils/jsonb.h"

typedef struct StoreSite StoreSite;
typedef struct StoreMethods StoreMethods;

struct StoreSite
{
	int32		id;
	char	   *name;
	char	   *kind;			/* "dir", "s3" */
	char	   *location;		/* directory, or endpoint URL(s) */
	Jsonb	   *options;
	bool		enabled;
	int			cost;			/* reads prefer cheaper copies */
	/* credentials (kept apart from options, in eoswath.site_credentials) */
	char	   *access_key;		/* NULL: none */
	char	   *secret_key;
	/* the marker validate(create) writes: who owns the site (sites.c) */
	char	   *marker;
	/* ownership as sites.c found it this transaction (0: not yet looked) */
	int			ownership;
	char	   *owner_text;
	const StoreMethods *methods;
	void	   *private;		/* backend's per-site state */
};

/* called by list() for every object-like entry found on a site */
typedef void (*store_list_cb) (StoreSite *site, WosOid oid, const char *name,
							   bool is_temp, void *arg);

struct StoreMethods
{
	const char *kind;
	int			cost;

	/*
	 * optional: prepare per-site state (site->private, credentials) when a
	 * site description is made, in the current memory context.  Runs in a
	 * normal transaction state, so that remove() in a transaction callback
	 * later finds everything it needs.
	 */
	void		(*attach) (StoreSite *site);
	/* check a site's settings when it is added; ERROR if unusable */
	void		(*validate) (StoreSite *site, bool create);
	/* is the site there and writable right now?  never ERRORs */
	bool		(*available) (StoreSite *site, char **why);
	/* the site's marker: NULL (and why) if it cannot be read */
	char	   *(*read_marker) (StoreSite *site, char **why);
	/* replace the marker, durably */
	void		(*write_marker) (StoreSite *site, const char *text);
	/* a small file beside the marker (the owner's heartbeat, sites.c) */
	char	   *(*read_note) (StoreSite *site, const char *name, char **why);
	void		(*write_note) (StoreSite *site, const char *name, const char *text);
	/* free bytes where the backend can tell; false: unknown */
	bool		(*free_space) (StoreSite *site, int64 *bytes);

	/* writing one copy */
	void	   *(*begin_write) (StoreSite *site, WosOid oid, int64 size_hint);
	bool		(*write) (void *handle, const char *data, size_t len);
	bool		(*finish_write) (void *handle);
	void		(*abort_write) (void *handle);

	/* reading one copy; open_read returns NULL if the copy is missing */
	void	   *(*open_read) (StoreSite *site, WosOid oid, int64 *size);
	size_t		(*read) (void *handle, char *buf, size_t len, int64 offset);
	void		(*close_read) (void *handle);

	/* remove a copy (and any partial write of it by this process) */
	bool		(*remove) (StoreSite *site, WosOid oid);
	/* enumerate everything on the site, for the sweep */
	void		(*list) (StoreSite *site, store_list_cb cb, void *arg);
	/* remove one entry found by list() */
	bool		(*remove_entry) (StoreSite *site, const char *name);
	/* a local file holding the copy's bytes, or NULL */
	char	   *(*local_path) (StoreSite *site, WosOid oid);
};

/* store_direct.c: a directory site's copy written with O_DIRECT */
typedef struct DirectWriter DirectWriter;

#define DIRECT_ALIGN	4096	/* what offsets direct_begin() takes */

extern int	eoswath_site_direct_after;	/* MB; -1: never */

extern DirectWriter *direct_begin(int fd, off_t offset);
extern int	direct_write(DirectWriter *d, const char *data, size_t len);
extern int	direct_finish(DirectWriter *d, int fd);
extern void direct_abort(DirectWriter *d);

/* store.c */
extern const StoreMethods *store_methods_for(const char *kind);
extern StoreSite *store_site_make(int32 id, const char *name, const char *kind,
								  const char *location, Jsonb *options,
								  bool enabled, const char *access_key,
								  const char *secret_key);

extern Jsonb *store_take_credentials(Jsonb *options, char **access_key,
									  char **secret_key);

/* store_fs.c */
extern const StoreMethods store_fs_methods;

/* store_s3.c */
extern const StoreMethods store_s3_methods;

#endif							/* EOSWATH_STORE_H */
