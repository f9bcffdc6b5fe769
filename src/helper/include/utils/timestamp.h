/*
 * utils/timestamp.h (eoswath-granule helper): only the date constants,
 * which PostgreSQL keeps in a header usable outside the backend.
 */
#include "datatype/timestamp.h"
