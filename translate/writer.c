#include "translate/writer.h"
#include "common/clock.h"
#include "common/json_util.h"

#include <stdlib.h>
#include <string.h>

/* One line of the import file while it is being ordered. */
typedef struct line_order {
    const char *sku;
    size_t index;       /* position in the request's order */
    size_t first_index; /* where this line's SKU first appears */
} line_order;

cm_err tr_append_json_string(cm_body *out, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    cm_err rc = cm_body_append(out, "\"", 1);
    const char *run = text;
    for (const char *p = text; rc == CM_OK && *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = cm_body_append(out, run, (size_t)(p - run));
        char escape[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t length = 2;
        switch (c) {
        case '"': escape[1] = '"'; break;
        case '\\': escape[1] = '\\'; break;
        case '\b': escape[1] = 'b'; break;
        case '\f': escape[1] = 'f'; break;
        case '\n': escape[1] = 'n'; break;
        case '\r': escape[1] = 'r'; break;
        case '\t': escape[1] = 't'; break;
        default:
            memcpy(escape + 1, "u00", 3);
            escape[4] = hex[c >> 4];
            escape[5] = hex[c & 0x0f];
            length = 6;
        }
        if (rc == CM_OK)
            rc = cm_body_append(out, escape, length);
        run = p + 1;
    }
    if (rc == CM_OK)
        rc = cm_body_append(out, run, strlen(run));
    return rc == CM_OK ? cm_body_append(out, "\"", 1) : rc;
}

/* ,"<name>":<quantity>  — thousandths printed without trailing zeros. */
static cm_err append_quantity(cm_body *out, const char *name, int64_t milli)
{
    char number[32];
    cm_milli_format(milli, number);
    return cm_body_appendf(out, ",\"%s\":%s", name, number);
}

/* Appends one record as a JSON object. `import_line` picks the import file's field names. */
static cm_err append_record(cm_body *out, const tr_record *record, int import_line)
{
    char date[CM_TIME_TEXT_MAX];
    cm_time_format_ms(record->effective_ms, date);
    cm_err rc = cm_body_appendf(out, "{\"%s\":", import_line ? "recordId" : "id");
    if (rc == CM_OK)
        rc = tr_append_json_string(out, record->record_id);
    if (rc == CM_OK)
        rc = cm_body_appendf(out, ",\"%s\":", import_line ? "locationId" : "location");
    if (rc == CM_OK)
        rc = tr_append_json_string(out, record->location_id);
    if (rc == CM_OK)
        rc = cm_body_append(out, ",\"sku\":", 7);
    if (rc == CM_OK)
        rc = tr_append_json_string(out, record->sku);
    if (rc == CM_OK)
        rc = append_quantity(out, "onHand", record->on_hand_milli);
    if (rc == CM_OK)
        rc = append_quantity(out, "safetyStockCount", record->safety_stock_milli);
    if (rc == CM_OK)
        rc = cm_body_appendf(out, ",\"effectiveDate\":\"%s\"}", date);
    return rc;
}

static int by_sku_then_index(const void *a, const void *b)
{
    const line_order *left = a, *right = b;
    int order = strcmp(left->sku, right->sku);
    if (order)
        return order;
    return left->index < right->index ? -1 : left->index > right->index;
}

static int by_group_then_index(const void *a, const void *b)
{
    const line_order *left = a, *right = b;
    if (left->first_index != right->first_index)
        return left->first_index < right->first_index ? -1 : 1;
    return left->index < right->index ? -1 : left->index > right->index;
}

cm_err tr_write_import_file(const tr_record *records, size_t count, cm_body *out)
{
    if (count == 0)
        return CM_EINVAL;
    line_order *order = malloc(count * sizeof *order);
    if (!order)
        return CM_ENOMEM;
    for (size_t i = 0; i < count; i++)
        order[i] = (line_order){.sku = records[i].sku, .index = i, .first_index = i};
    /* Two stable-by-construction sorts (index breaks every tie): first find where each SKU first
     * appears, then order by that, keeping the request's order inside each SKU. */
    qsort(order, count, sizeof *order, by_sku_then_index);
    for (size_t i = 1; i < count; i++)
        if (strcmp(order[i].sku, order[i - 1].sku) == 0)
            order[i].first_index = order[i - 1].first_index;
    qsort(order, count, sizeof *order, by_group_then_index);
    cm_err rc = CM_OK;
    for (size_t i = 0; rc == CM_OK && i < count; i++) {
        rc = append_record(out, &records[order[i].index], 1);
        if (rc == CM_OK)
            rc = cm_body_append(out, "\n", 1);
    }
    free(order);
    return rc;
}

cm_err tr_write_batch_update(const tr_record *records, size_t count, cm_body *out)
{
    if (count == 0 || count > TR_BATCH_UPDATE_MAX_RECORDS)
        return CM_EINVAL;
    cm_err rc = cm_body_append(out, "{\"records\":[", 12);
    for (size_t i = 0; rc == CM_OK && i < count; i++) {
        if (i)
            rc = cm_body_append(out, ",", 1);
        if (rc == CM_OK)
            rc = append_record(out, &records[i], 0);
    }
    return rc == CM_OK ? cm_body_append(out, "]}", 2) : rc;
}
