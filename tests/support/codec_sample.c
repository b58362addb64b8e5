#include <stdlib.h>
#include <string.h>

#include "codec_sample.h"

/* Text that exercises escaping and multi-byte UTF-8 on the way through. */
static const char *sample_text(int variant)
{
    return variant ? "tab\there \"quoted\" back\\slash \x01 caf\xc3\xa9 \xf0\x9f\x98\x80"
                   : "plain-ascii-value";
}

static char *dup(const char *s)
{
    return strdup(s);
}

static int fill_field(const ably_field_desc *f, void *value, ably_format format, int variant, int depth)
{
    char *m = (char *)value + f->offset;
    switch (f->kind) {
    case ABLY_FIELD_STRING:
        return (*(char **)m = dup(sample_text(variant))) ? 0 : -1;
    case ABLY_FIELD_JSON:
        return (*(char **)m = dup(variant ? "{\"k\":[1,\"x\",true,null,{\"n\":-2.5}],\"e\":{}}" : "[]")) ? 0 : -1;
    case ABLY_FIELD_INT:
        /* Below 2^53, the exact-integer limit of JSON decoding; negative in variant 1. */
        *(int64_t *)m = variant ? -4503599627370497LL : 1712345678901LL;
        *(bool *)((char *)value + f->aux_offset) = true;
        return 0;
    case ABLY_FIELD_DOUBLE:
        *(double *)m = variant ? -1.0e-300 : 0.1;
        *(bool *)((char *)value + f->aux_offset) = true;
        return 0;
    case ABLY_FIELD_BOOL:
        *(bool *)m = variant == 0;
        *(bool *)((char *)value + f->aux_offset) = true;
        return 0;
    case ABLY_FIELD_ENUM: {
        const ably_enum_desc *e = f->enum_desc;
        *(int *)m = e->values[variant ? e->count - 1 : 0].value;
        *(bool *)((char *)value + f->aux_offset) = true;
        return 0;
    }
    case ABLY_FIELD_DATA: {
        if (variant == 0)
            return ably_data_set((ably_data *)m, ABLY_DATA_STRING, "hello", 5);
        if (format == ABLY_FORMAT_JSON)
            return ably_data_set((ably_data *)m, ABLY_DATA_JSON, "{\"a\":[1,2,{\"b\":null}]}", 22);
        unsigned char bytes[256];
        for (int i = 0; i < 256; i++)
            bytes[i] = (unsigned char)(255 - i);
        return ably_data_set((ably_data *)m, ABLY_DATA_BINARY, bytes, sizeof bytes);
    }
    case ABLY_FIELD_OBJECT: {
        if (depth >= 2)
            return 0;
        void *obj = calloc(1, f->type->size);
        if (!obj)
            return -1;
        *(void **)m = obj;
        return codec_sample_fill(f->type, obj, format, variant, depth + 1);
    }
    case ABLY_FIELD_OBJECT_ARRAY: {
        if (depth >= 2)
            return 0;
        size_t n = 2;
        char *items = calloc(n, f->type->size);
        if (!items)
            return -1;
        *(void **)m = items;
        *(size_t *)((char *)value + f->aux_offset) = n;
        for (size_t i = 0; i < n; i++)
            if (codec_sample_fill(f->type, items + i * f->type->size, format, (int)i, depth + 1) != 0)
                return -1;
        return 0;
    }
    case ABLY_FIELD_STRING_ARRAY: {
        char **items = calloc(3, sizeof *items);
        if (!items)
            return -1;
        *(char ***)m = items;
        *(size_t *)((char *)value + f->aux_offset) = 3;
        items[0] = dup("first");
        items[1] = variant ? NULL : dup(""); /* NULL items travel as null */
        items[2] = dup(sample_text(variant));
        return items[0] && items[2] ? 0 : -1;
    }
    case ABLY_FIELD_STRING_MAP:
        if (ably_string_map_set((ably_string_map *)m, "k1", sample_text(variant)) != 0)
            return -1;
        return ably_string_map_set((ably_string_map *)m, sample_text(variant), "v2");
    case ABLY_FIELD_NUMBER_MAP:
        if (ably_number_map_set((ably_number_map *)m, "n1", variant ? 1e21 : 42) != 0)
            return -1;
        return ably_number_map_set((ably_number_map *)m, "n2", variant ? -0.125 : 0.30000000000000004);
    }
    return -1;
}

int codec_sample_fill(const ably_type_desc *type, void *value, ably_format format, int variant, int depth)
{
    for (size_t i = 0; i < type->count; i++)
        if (fill_field(&type->fields[i], value, format, variant, depth) != 0)
            return -1;
    return 0;
}
