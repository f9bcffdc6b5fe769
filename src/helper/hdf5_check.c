/*
 * hdf5_check.c
 *		Refuse HDF5 features through which a granule could make the parser
 *		read or run something other than the granule: datasets with external
 *		storage (raw data in another file), external and user-defined links,
 *		virtual datasets (data mapped from other files), and filters that are
 *		neither HDF5's own nor those netCDF-C knows.  Landlock already stops
 *		the child from opening any other file; this makes such a granule a
 *		clear error instead of a read that fails somewhere deep in a library.
 *
 * Runs in the confined child, on HDF5 files only (netCDF-4 included), and
 * reads only the file's metadata.
 */
#include "postgres.h"

#include <hdf5.h>

#include "hdf5_check.h"

/* filters a granule may use: HDF5's own and those netCDF-C supports */
static const H5Z_filter_t known_filters[] = {
	H5Z_FILTER_DEFLATE, H5Z_FILTER_SHUFFLE, H5Z_FILTER_FLETCHER32,
	H5Z_FILTER_SZIP, H5Z_FILTER_NBIT, H5Z_FILTER_SCALEOFFSET,
	307,						/* bzip2 */
	32001,						/* blosc */
	32015,						/* zstd */
};

typedef struct CheckState
{
	const char *label;
	const char *refused;		/* what was found, or NULL */
	char		where[256];
} CheckState;

static herr_t
check_link(hid_t group, const char *name, const H5L_info_t *info, void *arg)
{
	CheckState *st = arg;

	if (info->type == H5L_TYPE_HARD || info->type == H5L_TYPE_SOFT)
		return 0;
	st->refused = info->type == H5L_TYPE_EXTERNAL ? "an external link" : "a user-defined link";
	strlcpy(st->where, name, sizeof(st->where));
	return 1;					/* stop */
}

static const char *
check_dcpl(hid_t dcpl)
{
	int			n;

	if (H5Pget_external_count(dcpl) > 0)
		return "external storage";
	if (H5Pget_layout(dcpl) == H5D_VIRTUAL)
		return "a virtual dataset";
	n = H5Pget_nfilters(dcpl);
	if (n < 0)
		return "an unreadable filter pipeline";
	for (int i = 0; i < n; i++)
	{
		unsigned int flags,
					config;
		size_t		nelmts = 0;
		H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned) i, &flags, &nelmts, NULL,
										 0, NULL, &config);
		bool		known = false;

		for (size_t k = 0; k < lengthof(known_filters); k++)
			known |= id == known_filters[k];
		if (!known)
			return "an unknown filter";
	}
	return NULL;
}

static herr_t
check_object(hid_t obj, const char *name, const H5O_info_t *info, void *arg)
{
	CheckState *st = arg;
	hid_t		dset,
				dcpl;
	const char *bad = NULL;

	if (info->type != H5O_TYPE_DATASET)
		return 0;
	dset = H5Dopen2(obj, name, H5P_DEFAULT);
	if (dset < 0)
		bad = "a dataset that cannot be opened";
	else
	{
		dcpl = H5Dget_create_plist(dset);
		bad = dcpl < 0 ? "a dataset without creation properties" : check_dcpl(dcpl);
		if (dcpl >= 0)
			H5Pclose(dcpl);
		H5Dclose(dset);
	}
	if (bad == NULL)
		return 0;
	st->refused = bad;
	strlcpy(st->where, name, sizeof(st->where));
	return 1;
}

/* Is the file HDF5 (netCDF-4 included)?  Its signature, at 0 or 512 * 2^n. */
static bool
is_hdf5(const char *path)
{
	return H5Fis_hdf5(path) > 0;
}

void
hdf5_check(const char *path, const char *label)
{
	CheckState	st = {label, NULL, ""};
	hid_t		file;
	herr_t		rc;

	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);	/* no error stacks on stderr */
	if (!is_hdf5(path))
		return;					/* netCDF-3 or not a granule: netCDF-C says which */
	file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (file < 0)
		return;					/* netCDF-C will report it */
	rc = H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, check_link, &st);
	if (rc >= 0 && st.refused == NULL)
		rc = H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_NATIVE, check_object, &st, H5O_INFO_BASIC);
	H5Fclose(file);
	if (st.refused)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s uses %s, which eoswath does not read", label, st.refused),
				 errdetail("Found at \"%s\".  Granules must hold their own data: external storage, external links, virtual datasets and unknown filters are refused.", st.where)));
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not read the structure of %s", label),
				 errdetail("HDF5 failed while listing its objects.")));
}
