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

static int valid_sku(const char *sku, size_t min)
{
    if (!sku)
        return 0;
    size_t length = strlen(sku);
    if (length < min || length > OCI_SKU_MAX)
        return 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)sku[i];
        if (c <= 0x20 || c == 0x7f || strchr("\\<>;%/", c))
            return 0;
    }
    return 1;
}

int oci_valid_sku(const char *sku)
{
    return valid_sku(sku, OCI_SKU_MIN);
}

int oci_valid_reservation_sku(const char *sku)
{
    return valid_sku(sku, 1);
}

int oci_valid_all_or_nothing_id(const char *id)
{
    return valid_place(id, 1, OCI_ALL_OR_NOTHING_ID_MAX);
}

int oci_valid_reservation_id(const char *id)
{
    if (!id || strlen(id) > OCI_RESERVATION_ID_MAX)
        return 0;
    return oci_valid_record_id(id) && !strchr(id, '/');
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
    /* "Printable" (ids.h): DEL (0x7f) is a control character too, as valid_sku already says. */
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)record_id[i] < 0x20 || (unsigned char)record_id[i] == 0x7f)
            return 0;
    return 1;
}
