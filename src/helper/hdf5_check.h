/*
 * hdf5_check.h
 *		Refusing what an archive's granule never needs, before netCDF-C
 *		opens the file (a second line of defence behind Landlock).
 */
#ifndef EOSWATH_HDF5_CHECK_H
#define EOSWATH_HDF5_CHECK_H

extern void hdf5_check(const char *path, const char *label);

#endif							/* EOSWATH_HDF5_CHECK_H */
