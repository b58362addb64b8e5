/* Field-descriptor tables: how the generated protocol structs are laid out.
 *
 * The generator (codegen/ablygen/types.py) emits one ably_type_desc per schema type
 * and one ably_enum_desc per enum; the codec engines (ably/codec.h) walk them to
 * init, clear, copy, compare, encode and decode any type. The tables are constant
 * data, safe to share between threads.
 */
#ifndef ABLY_DESCRIPTOR_H
#define ABLY_DESCRIPTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The closed set of field kinds (spec/schema/README.md). The comment gives the C
 * member at `offset` and, where there is one, the companion at `aux_offset`. */
typedef enum {
    ABLY_FIELD_STRING,       /* char * (NULL = absent) */
    ABLY_FIELD_INT,          /* int64_t; bool has_ */
    ABLY_FIELD_DOUBLE,       /* double; bool has_ */
    ABLY_FIELD_BOOL,         /* bool; bool has_ */
    ABLY_FIELD_DATA,         /* ably_data */
    ABLY_FIELD_JSON,         /* char * holding JSON text of any value (NULL = absent) */
    ABLY_FIELD_ENUM,         /* an int-sized C enum; bool has_ */
    ABLY_FIELD_OBJECT,       /* T * (NULL = absent), T described by `type` */
    ABLY_FIELD_OBJECT_ARRAY, /* T * contiguous items; size_t count */
    ABLY_FIELD_STRING_ARRAY, /* char **; size_t count */
    ABLY_FIELD_STRING_MAP,   /* ably_string_map */
    ABLY_FIELD_NUMBER_MAP    /* ably_number_map */
} ably_field_kind;

/* How an enum travels: as its number, or as per-value text. */
typedef enum { ABLY_ENUM_WIRE_INT, ABLY_ENUM_WIRE_STRING } ably_enum_wire;

typedef struct {
    const char *name; /* schema name, e.g. "MESSAGE_CREATE" */
    const char *wire; /* wire text for ABLY_ENUM_WIRE_STRING enums, else NULL */
    int value;
} ably_enum_value;

typedef struct {
    const char *name; /* schema name, e.g. "MessageAction" */
    const char *spec; /* defining spec ID */
    ably_enum_wire wire;
    const ably_enum_value *values;
    size_t count;
} ably_enum_desc;

typedef struct ably_type_desc ably_type_desc;

typedef struct {
    const char *wire_name;          /* key on the wire */
    size_t wire_len;                /* strlen(wire_name), for fast key matching */
    const char *c_name;             /* member name in the struct */
    ably_field_kind kind;
    size_t offset;                  /* offsetof the member */
    size_t aux_offset;              /* offsetof has_<c> or <c>_count; 0 when the kind has none */
    const ably_type_desc *type;     /* OBJECT and OBJECT_ARRAY: the element type */
    const ably_enum_desc *enum_desc; /* ENUM */
    bool required;                  /* decoding fails when absent */
    const char *spec;               /* defining spec ID */
    int encoding_field;             /* DATA: index of the sibling `encoding` field, or -1 */
} ably_field_desc;

struct ably_type_desc {
    const char *name; /* schema name, e.g. "Message" (used in error messages) */
    const char *spec;
    size_t size;      /* sizeof the struct */
    const ably_field_desc *fields;
    size_t count;
};

/* Lookups on enum tables; NULL when not found. */
const ably_enum_value *ably_enum_find_value(const ably_enum_desc *e, int value);
const ably_enum_value *ably_enum_find_name(const ably_enum_desc *e, const char *name);
const ably_enum_value *ably_enum_find_wire(const ably_enum_desc *e, const char *wire, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* ABLY_DESCRIPTOR_H */
