/*
 * auth.c - who may see the admin listener: a bearer admin token, or a session cookie that the
 * login form gave for the same token. Tokens are compared as SHA-256 digests in constant time;
 * sessions are random 256-bit ids kept in memory (a restart logs everybody out, which is fine for
 * an operator's console) and expire after ADM_SESSION_TTL_MS.
 */
#include "admin/internal.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/query.h"
#include "common/digest.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char LOGIN_PAGE[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>omsgw admin: log in</title>"
    "<meta name=\"viewport\" content=\"width=device-width\">"
    "<style>body{font:15px system-ui,sans-serif;background:#f4f5f7;display:flex;justify-content:center;"
    "padding-top:12vh}form{background:#fff;padding:2em;border-radius:8px;box-shadow:0 1px 4px #0002}"
    "input{font:inherit;padding:.4em;width:22em;display:block;margin:.6em 0}button{font:inherit;padding:.4em 1.2em}"
    "</style></head><body><form method=\"post\" action=\"/login\"><h1>omsgw admin</h1>"
    "<label for=\"token\">Admin token</label><input id=\"token\" name=\"token\" type=\"password\" "
    "autocomplete=\"current-password\" autofocus required><button id=\"login\" type=\"submit\">Log in</button>"
    "%s</form></body></html>";

static int token_matches(const adm_admin *admin, const char *token)
{
    if (!token || !*token)
        return 0;
    uint8_t digest[CM_SHA256_LEN];
    if (cm_sha256(token, strlen(token), digest) != CM_OK)
        return 0; /* no digest, no match */
    int found = 0;
    /* Every digest is compared, so the time taken does not say which one matched. */
    for (size_t i = 0; i < admin->config->admin.token_count; i++)
        found |= cm_const_time_equal(digest, admin->config->admin.tokens[i].sha256, CM_SHA256_LEN);
    return found;
}

static int session_valid(adm_admin *admin, const char *id)
{
    if (!id || strlen(id) != ADM_SESSION_ID_LEN)
        return 0;
    int64_t now = cm_now_ms();
    int found = 0;
    pthread_mutex_lock(&admin->sessions_lock);
    for (size_t i = 0; i < ADM_SESSION_MAX; i++) {
        adm_session *session = &admin->sessions[i];
        if (session->id[0] && session->expires_ms <= now)
            session->id[0] = '\0';
        if (session->id[0] && cm_const_time_equal(session->id, id, ADM_SESSION_ID_LEN))
            found = 1;
    }
    pthread_mutex_unlock(&admin->sessions_lock);
    return found;
}

/* A new session id in `out`; the oldest session gives way when the table is full. -1 when no
 * randomness could be had. */
static int session_new(adm_admin *admin, char out[ADM_SESSION_ID_LEN + 1])
{
    uint8_t random[ADM_SESSION_ID_LEN / 2];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, random, sizeof random) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof random)
        return -1;
    for (size_t i = 0; i < sizeof random; i++)
        snprintf(out + i * 2, 3, "%02x", random[i]);
    pthread_mutex_lock(&admin->sessions_lock);
    size_t slot = 0;
    for (size_t i = 0; i < ADM_SESSION_MAX; i++) {
        if (!admin->sessions[i].id[0]) {
            slot = i;
            break;
        }
        if (admin->sessions[i].expires_ms < admin->sessions[slot].expires_ms)
            slot = i;
    }
    memcpy(admin->sessions[slot].id, out, ADM_SESSION_ID_LEN + 1);
    admin->sessions[slot].expires_ms = cm_now_ms() + ADM_SESSION_TTL_MS;
    pthread_mutex_unlock(&admin->sessions_lock);
    return 0;
}

static void session_forget(adm_admin *admin, const char *id)
{
    if (!id)
        return;
    pthread_mutex_lock(&admin->sessions_lock);
    for (size_t i = 0; i < ADM_SESSION_MAX; i++)
        if (admin->sessions[i].id[0] && strcmp(admin->sessions[i].id, id) == 0)
            admin->sessions[i].id[0] = '\0';
    pthread_mutex_unlock(&admin->sessions_lock);
}

static int is_path(const char *path, const char *wanted)
{
    size_t length = strlen(wanted);
    return strncmp(path, wanted, length) == 0 && (path[length] == '\0' || (path[length] == '/' && !path[length + 1]));
}

static void reply_login_page(cm_http_request *request, int status, const char *note)
{
    char page[sizeof LOGIN_PAGE + 160];
    int length = snprintf(page, sizeof page, LOGIN_PAGE, note ? note : "");
    cm_http_add_header(request, "Cache-Control", "no-store");
    cm_http_reply_bytes(request, status, "text/html; charset=utf-8", page, (size_t)length);
}

void adm_auth_before(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    const char *path = cm_http_path(request);
    if (is_path(path, "/login") || is_path(path, "/healthz"))
        return;
    const char *authorization = cm_http_header(request, "Authorization");
    if (authorization && strncasecmp(authorization, "Bearer ", 7) == 0 && token_matches(admin, authorization + 7))
        return;
    if (session_valid(admin, cm_http_cookie(request, ADM_SESSION_COOKIE)))
        return;
    cm_http_add_header(request, "WWW-Authenticate", "Bearer realm=\"omsgw-admin\"");
    int api = strncmp(path, "/api/", 5) == 0 || is_path(path, "/api") || is_path(path, "/metrics");
    if (api)
        cm_http_reply_error(request, 401, "UNAUTHORIZED",
                            authorization ? "The admin token is not valid." : "An admin token is required "
                                                                              "(Authorization: Bearer <token>).",
                            "Authorization");
    else
        reply_login_page(request, 401, authorization ? "<p role=\"alert\">That token is not valid.</p>" : NULL);
}

void adm_route_login_form(cm_http_request *request, void *data)
{
    (void)data;
    reply_login_page(request, 200, NULL);
}

void adm_route_login(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    /* The form posts application/x-www-form-urlencoded, which is a query string's syntax. */
    cm_query form;
    memset(&form, 0, sizeof form);
    if (cm_query_parse(body, &form) != CM_OK) {
        cm_http_reply_error(request, 503, "SERVICE_UNAVAILABLE", "The server is short of memory.", NULL);
        return;
    }
    const char *token = cm_query_get(&form, "token");
    if (!token_matches(admin, token)) {
        cm_query_free(&form);
        cm_log_warn("admin.login_refused", "a login with a wrong or missing token");
        reply_login_page(request, 401, "<p role=\"alert\">That token is not valid.</p>");
        return;
    }
    cm_query_free(&form);
    char id[ADM_SESSION_ID_LEN + 1];
    if (session_new(admin, id) != 0) {
        cm_http_reply_error(request, 503, "SERVICE_UNAVAILABLE", "No session could be created; retry.", NULL);
        return;
    }
    char cookie[160];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", ADM_SESSION_COOKIE,
             id, ADM_SESSION_TTL_MS / 1000, admin->tls ? "; Secure" : "");
    cm_http_add_header(request, "Set-Cookie", cookie);
    cm_http_add_header(request, "Location", "/");
    cm_http_reply_empty(request, 303);
}

void adm_route_logout(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    session_forget(admin, cm_http_cookie(request, ADM_SESSION_COOKIE));
    char cookie[96];
    snprintf(cookie, sizeof cookie, "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", ADM_SESSION_COOKIE);
    cm_http_add_header(request, "Set-Cookie", cookie);
    cm_http_add_header(request, "Location", "/login");
    cm_http_reply_empty(request, 303);
}
