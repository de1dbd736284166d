/*
 * console.c - the console's page, script and stylesheet, served from the binary (admin/web,
 * embedded at build time by embed.cmake). No CDN, nothing fetched from elsewhere: it works
 * offline, and a Content-Security-Policy says so to the browser.
 */
#include "admin/internal.h"

#include <string.h>

extern const unsigned char adm_asset_index_html[], adm_asset_console_js[], adm_asset_console_css[];
extern const size_t adm_asset_index_html_size, adm_asset_console_js_size, adm_asset_console_css_size;

void adm_route_asset(cm_http_request *request, void *data)
{
    (void)data;
    const char *path = cm_http_path(request);
    const unsigned char *bytes = adm_asset_index_html;
    size_t size = adm_asset_index_html_size;
    const char *type = "text/html; charset=utf-8";
    if (strncmp(path, "/console.js", 11) == 0) {
        bytes = adm_asset_console_js;
        size = adm_asset_console_js_size;
        type = "text/javascript; charset=utf-8";
    } else if (strncmp(path, "/console.css", 12) == 0) {
        bytes = adm_asset_console_css;
        size = adm_asset_console_css_size;
        type = "text/css; charset=utf-8";
    }
    cm_http_add_header(request, "Content-Security-Policy",
                       "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
    cm_http_add_header(request, "X-Content-Type-Options", "nosniff");
    cm_http_add_header(request, "Cache-Control", "no-store");
    cm_http_reply_bytes(request, 200, type, bytes, size);
}
