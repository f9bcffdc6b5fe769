/*
 * s3.h
 *		Private to the S3 backend: its settings.
 */
#ifndef EOSWATH_S3_H
#define EOSWATH_S3_H

#include "eoswath.h"

extern int	eoswath_s3_part_size;	/* bytes */
extern int	eoswath_s3_read_ahead;	/* bytes */
extern int	eoswath_s3_retries;
extern int	eoswath_s3_retry_delay; /* ms, first backoff */
extern int	eoswath_s3_retry_max_delay; /* ms */
extern int	eoswath_s3_connect_timeout; /* ms */
extern int	eoswath_s3_io_timeout;	/* s without progress */
extern int	eoswath_s3_max_rate;	/* bytes/s per transfer, 0: unlimited */
extern bool eoswath_s3_allow_http;
extern char *eoswath_s3_ca_file;
extern char *eoswath_s3_ca_path;
extern char *eoswath_s3_credentials_file;

#endif							/* EOSWATH_S3_H */
