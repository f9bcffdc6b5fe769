/*
 * wosoid.c
 *		The wosoid type: an object id.
 *
 * Internally a positive 64-bit number; its text form is 13 digits of
 * Crockford's base 32 (0-9, A-Z without I, L, O, U), e.g. 0000000000041.
 * Input is case-insensitive, ignores hyphens and reads I and L as 1 and O as
 * 0, as Crockford's alphabet is meant to be read back by people.
 */
#include "eoswath.h"

#include "libpq/pqformat.h"
#include "utils/builtins.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Write the 13-character text form of oid into buf. */
void
wosoid_format(WosOid oid, char *buf)
{
	int			i;

	for (i = WOSOID_TEXT_LEN - 1; i >= 0; i--)
	{
		buf[i] = crockford[oid & 31];
		oid >>= 5;
	}
	buf[WOSOID_TEXT_LEN] = '\0';
}

char *
wosoid_to_cstring(WosOid oid)
{
	char	   *buf = palloc(WOSOID_TEXT_LEN + 1);

	wosoid_format(oid, buf);
	return buf;
}

/* Value of one base-32 digit, or -1. */
static int
crockford_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c -= 'a' - 'A';
	switch (c)
	{
		case 'O':
			return 0;
		case 'I':
		case 'L':
			return 1;
		case 'U':
			return -1;
	}
	for (int i = 0; i < 32; i++)
		if (crockford[i] == c)
			return i;
	return -1;
}

/* Parse the text form; false if it is not a valid id. */
bool
wosoid_parse(const char *str, WosOid *result)
{
	uint64		v = 0;
	int			ndigits = 0;

	for (const char *p = str; *p; p++)
	{
		int			d;

		if (*p == '-')
			continue;
		d = crockford_value(*p);
		if (d < 0 || ndigits >= WOSOID_TEXT_LEN)
			return false;
		/* 13 digits hold 65 bits: refuse what does not fit in 64 */
		if (v > (PG_UINT64_MAX >> 5))
			return false;
		v = (v << 5) | (uint64) d;
		ndigits++;
	}
	if (ndigits != WOSOID_TEXT_LEN || v == 0 || v > (uint64) PG_INT64_MAX)
		return false;
	*result = v;
	return true;
}

PG_FUNCTION_INFO_V1(wosoid_in);
Datum
wosoid_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	WosOid		oid;

	if (!wosoid_parse(str, &oid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "wosoid", str),
				 errhint("An object id is %d characters of Crockford base 32, such as \"0000000000041\".",
						 WOSOID_TEXT_LEN)));
	PG_RETURN_WOSOID(oid);
}

PG_FUNCTION_INFO_V1(wosoid_out);
Datum
wosoid_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(wosoid_to_cstring(PG_GETARG_WOSOID(0)));
}

PG_FUNCTION_INFO_V1(wosoid_recv);
Datum
wosoid_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int64		v = pq_getmsgint64(buf);

	if (v <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external wosoid value")));
	PG_RETURN_WOSOID((WosOid) v);
}

PG_FUNCTION_INFO_V1(wosoid_send);
Datum
wosoid_send(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, (int64) PG_GETARG_WOSOID(0));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* comparison support for btree and hash indexes */

#define WOSOID_CMP_FUNC(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(PG_GETARG_WOSOID(0) op PG_GETARG_WOSOID(1)); \
}

WOSOID_CMP_FUNC(wosoid_eq, ==)
WOSOID_CMP_FUNC(wosoid_ne, !=)
WOSOID_CMP_FUNC(wosoid_lt, <)
WOSOID_CMP_FUNC(wosoid_le, <=)
WOSOID_CMP_FUNC(wosoid_gt, >)
WOSOID_CMP_FUNC(wosoid_ge, >=)

PG_FUNCTION_INFO_V1(wosoid_cmp);
Datum
wosoid_cmp(PG_FUNCTION_ARGS)
{
	WosOid		a = PG_GETARG_WOSOID(0);
	WosOid		b = PG_GETARG_WOSOID(1);

	PG_RETURN_INT32(a < b ? -1 : (a > b ? 1 : 0));
}

PG_FUNCTION_INFO_V1(wosoid_hash);
Datum
wosoid_hash(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall1(hashint8, PG_GETARG_DATUM(0));
}

/* the sequence's bigint to an id, for the catalog */
PG_FUNCTION_INFO_V1(wosoid_from_int8);
Datum
wosoid_from_int8(PG_FUNCTION_ARGS)
{
	int64		v = PG_GETARG_INT64(0);

	if (v <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("wosoid must be positive")));
	PG_RETURN_WOSOID((WosOid) v);
}

PG_FUNCTION_INFO_V1(wosoid_to_int8);
Datum
wosoid_to_int8(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) PG_GETARG_WOSOID(0));
}
