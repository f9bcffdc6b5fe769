-- eoswath install script (produced from src/sql/*.sql by make)

\echo Use "CREATE EXTENSION eoswath CASCADE" to load this file. \quit

-- ---------------------------------------------------------------------------
-- wosoid: the object id
-- ---------------------------------------------------------------------------

CREATE TYPE @extschema@.wosoid;

CREATE FUNCTION @extschema@.wosoid_in(cstring) RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.wosoid_out(@extschema@.wosoid) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.wosoid_recv(internal) RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.wosoid_send(@extschema@.wosoid) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.wosoid (
    INPUT = @extschema@.wosoid_in,
    OUTPUT = @extschema@.wosoid_out,
    RECEIVE = @extschema@.wosoid_recv,
    SEND = @extschema@.wosoid_send,
    INTERNALLENGTH = 8,
    PASSEDBYVALUE,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE @extschema@.wosoid IS
    'eoswath object id: 13 characters of Crockford base 32, never reused';

CREATE FUNCTION @extschema@.wosoid_eq(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_ne(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_lt(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_le(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_gt(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_ge(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_cmp(@extschema@.wosoid, @extschema@.wosoid) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_hash(@extschema@.wosoid) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_eq, COMMUTATOR = OPERATOR(@extschema@.=),
    NEGATOR = OPERATOR(@extschema@.<>), RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES);
CREATE OPERATOR @extschema@.<> (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_ne, COMMUTATOR = OPERATOR(@extschema@.<>),
    NEGATOR = OPERATOR(@extschema@.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR @extschema@.< (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_lt, COMMUTATOR = OPERATOR(@extschema@.>),
    NEGATOR = OPERATOR(@extschema@.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR @extschema@.<= (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_le, COMMUTATOR = OPERATOR(@extschema@.>=),
    NEGATOR = OPERATOR(@extschema@.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR @extschema@.> (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_gt, COMMUTATOR = OPERATOR(@extschema@.<),
    NEGATOR = OPERATOR(@extschema@.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR @extschema@.>= (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_ge, COMMUTATOR = OPERATOR(@extschema@.<=),
    NEGATOR = OPERATOR(@extschema@.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS @extschema@.wosoid_ops
    DEFAULT FOR TYPE @extschema@.wosoid USING btree AS
        OPERATOR 1 @extschema@.<,
        OPERATOR 2 @extschema@.<=,
        OPERATOR 3 @extschema@.=,
        OPERATOR 4 @extschema@.>=,
        OPERATOR 5 @extschema@.>,
        FUNCTION 1 @extschema@.wosoid_cmp(@extschema@.wosoid, @extschema@.wosoid);

CREATE OPERATOR CLASS @extschema@.wosoid_hash_ops
    DEFAULT FOR TYPE @extschema@.wosoid USING hash AS
        OPERATOR 1 @extschema@.=,
        FUNCTION 1 @extschema@.wosoid_hash(@extschema@.wosoid);

-- text casts come from the I/O functions; these two are for the catalog
CREATE FUNCTION @extschema@.wosoid(bigint) RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME', 'wosoid_from_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.int8(@extschema@.wosoid) RETURNS bigint
    AS 'MODULE_PATHNAME', 'wosoid_to_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (bigint AS @extschema@.wosoid) WITH FUNCTION @extschema@.wosoid(bigint);
CREATE CAST (@extschema@.wosoid AS bigint) WITH FUNCTION @extschema@.int8(@extschema@.wosoid);
COMMENT ON FUNCTION @extschema@.wosoid(bigint) IS 'object id from its number';
COMMENT ON FUNCTION @extschema@.int8(@extschema@.wosoid) IS 'object id as its number';
