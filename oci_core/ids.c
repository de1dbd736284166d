#include "oci_core/ids.h"

#include <ctype.h>
#include <string.h>

#include "oci_core/limits.h"

static int valid_place(const char *id, size_t min, size_t max)
{
    if (!id)
        return 0;
    size_t length = strlen(id);
    if (length < min || length > max)
        return 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!isalnum(c) && c != '-' && c != '_')
            return 0;
    }
    return 1;
}

int oci_valid_sku(const char *sku)
{
    if (!sku)
        return 0;
    size_t length = strlen(sku);
    if (length < OCI_SKU_MIN || length > OCI_SKU_MAX)
        return 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)sku[i];
        if (c <= 0x20 || c == 0x7f || strchr("\\<>;%/", c))
            return 0;
    }
    return 1;
}

int oci_valid_location_id(const char *location)
{
    return valid_place(location, OCI_LOCATION_ID_MIN, OCI_LOCATION_ID_MAX);
}

int oci_valid_group_id(const char *group)
{
    return valid_place(group, OCI_GROUP_ID_MIN, OCI_GROUP_ID_MAX);
}

int oci_valid_record_id(const char *record_id)
{
    if (!record_id)
        return 0;
    size_t length = strlen(record_id);
    if (length < 1 || length > OCI_RECORD_ID_MAX)
        return 0;
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)record_id[i] < 0x20)
            return 0;
    return 1;
}
