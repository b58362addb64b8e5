/* Recognising delta messages (DE1, DE2, RTL20). */
#include <string.h>

#include <cjson/cJSON.h>

#include "vcdiff/vcdiff_internal.h"

bool ably_vcdiff__delta_from_is(const char *extras, const char *id)
{
    if (!extras || !id)
        return false;
    cJSON *root = cJSON_Parse(extras);
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(root, "delta");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(delta, "from");
    bool same = cJSON_IsString(from) && from->valuestring && strcmp(from->valuestring, id) == 0;
    cJSON_Delete(root);
    return same;
}

bool ably_vcdiff__is_delta(const char *encoding)
{
    if (!encoding)
        return false;
    static const char step[] = "vcdiff";
    const size_t n = sizeof step - 1;
    for (const char *p = encoding; (p = strstr(p, step)) != NULL; p += n)
        if ((p == encoding || p[-1] == '/') && (p[n] == '\0' || p[n] == '/'))
            return true;
    return false;
}
