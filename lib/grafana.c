/*
 * grafana.c - the client half of grafana.h: Grafana's dashboard HTTP API
 * over lib/http, with every non-2xx answer turned into one line that says
 * what Grafana said and what to do, and the normalisation that makes a
 * dashboard file stable across saves.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "grafana.h"
#include "http.h"
#include "jsontree.h"
#include "xalloc.h"

const char *const grafana_churn_keys[] = {"id", "version", "iteration", NULL};

int
grafana_client_init(struct grafana_client *c, const char *url, struct mm_err *err)
{
	const char *p;
	size_t n;

	memset(c, 0, sizeof(*c));
	if (!http_is_url(url))
		return mm_errf(err, MM_E_USAGE, "--url: '%s' is not an http:// or https:// URL",
			       url ? url : "");
	p = strstr(url, "://") + 3;
	n = strcspn(p, "/?#");
	if (memchr(p, '@', n))
		return mm_errf(err, MM_E_USAGE,
			       "--url: '%s' holds credentials: use GRAFANA_TOKEN, --token-file or "
			       "--basic-auth-file",
			       url);
	if (strpbrk(url, "?#"))
		return mm_errf(err, MM_E_USAGE, "--url: '%s' has a query or fragment", url);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	c->base = xstrndup(url, n);
	return 0;
}

void
grafana_client_release(struct grafana_client *c)
{
	if (!c)
		return;
	free(c->base);
	free(c->auth);
	c->base = c->auth = NULL;
}

static int
secret_ok(const char *s, const char *what, struct mm_err *err)
{
	const unsigned char *p;

	if (!s || !*s)
		return mm_errf(err, MM_E_USAGE, "the %s is empty", what);
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return mm_errf(err, MM_E_USAGE, "the %s holds a control character", what);
	return 0;
}

int
grafana_client_set_token(struct grafana_client *c, const char *token, struct mm_err *err)
{
	if (secret_ok(token, "token", err) < 0)
		return -1;
	free(c->auth);
	c->auth = xasprintf("Bearer %s", token);
	return 0;
}

static void
base64(struct buf *out, const unsigned char *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];

		buf_addc(out, tab[v >> 18 & 63]);
		buf_addc(out, tab[v >> 12 & 63]);
		buf_addc(out, tab[v >> 6 & 63]);
		buf_addc(out, tab[v & 63]);
	}
	if (n - i == 1) {
		unsigned v = (unsigned)s[i] << 16;

		buf_addc(out, tab[v >> 18 & 63]);
		buf_addc(out, tab[v >> 12 & 63]);
		buf_adds(out, "==");
	} else if (n - i == 2) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;

		buf_addc(out, tab[v >> 18 & 63]);
		buf_addc(out, tab[v >> 12 & 63]);
		buf_addc(out, tab[v >> 6 & 63]);
		buf_addc(out, '=');
	}
}

int
grafana_client_set_basic(struct grafana_client *c, const char *user_pass, struct mm_err *err)
{
	struct buf b = BUF_INIT(4 * GRAFANA_SECRET_MAX);

	if (secret_ok(user_pass, "user:password", err) < 0)
		return -1;
	if (!strchr(user_pass, ':'))
		return mm_errf(err, MM_E_USAGE, "basic auth needs 'user:password' (no ':' found)");
	buf_adds(&b, "Basic ");
	base64(&b, (const unsigned char *)user_pass, strlen(user_pass));
	if (buf_failed(&b)) {
		buf_release(&b);
		return mm_errf(err, MM_E_LIMIT, "the user:password is too long");
	}
	free(c->auth);
	c->auth = buf_detach(&b, NULL);
	return 0;
}

char *
grafana_read_secret(const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(GRAFANA_SECRET_MAX);
	size_t n;
	char *s;

	if (buf_read_file(&b, path, err) < 0) {
		buf_release(&b);
		return NULL;
	}
	n = b.data ? strcspn(b.data, "\r\n") : 0;
	while (n > 0 && (b.data[n - 1] == ' ' || b.data[n - 1] == '\t'))
		n--;
	if (n == 0) {
		buf_release(&b);
		mm_errf(err, MM_E_CONFIG,
			"'%s' is empty: it should hold the secret on its first line", path);
		return NULL;
	}
	s = xstrndup(b.data, n);
	/* The copy is the one kept: wipe the buffer before freeing it. */
	memset(b.data, 0, b.len);
	buf_release(&b);
	return s;
}

int
grafana_uid_valid(const char *uid)
{
	size_t n = 0;

	if (!uid)
		return 0;
	for (; uid[n]; n++)
		if (!isalnum((unsigned char)uid[n]) && uid[n] != '-' && uid[n] != '_')
			return 0;
	return n >= 1 && n <= GRAFANA_UID_MAX;
}

/* Percent-encode s for one path segment (RFC 3986 unreserved kept). */
static void
path_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
			buf_addc(b, (char)ch);
		else
			buf_addf(b, "%%%02X", ch);
	}
}

static const char *
reason(long status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 412:
		return "Precondition Failed";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	}
	return "";
}

/* Pull Grafana's "message" and "status" out of an error body (best effort). */
static void
read_status(const struct http_response *r, struct grafana_status *st)
{
	json_t *j;

	st->status = r->status;
	st->gstatus[0] = st->message[0] = '\0';
	j = jsontree_loadb(r->body.data ? r->body.data : "", r->body.len, "answer", NULL);
	if (json_is_object(j)) {
		snprintf(st->gstatus, sizeof(st->gstatus), "%s", jsontree_str(j, "status", ""));
		snprintf(st->message, sizeof(st->message), "%s", jsontree_str(j, "message", ""));
	} else if (r->body.len && !j) {
		/* a proxy's HTML or text page: its first line says enough */
		size_t n = strcspn(r->body.data, "\r\n");

		snprintf(st->message, sizeof(st->message), "%.*s", (int)(n > 200 ? 200 : n),
			 r->body.data);
	}
	json_decref(j);
}

/*
 * One request; 0 with a 2xx answer parsed into *out (when out is non-NULL),
 * -1 with the line the caller prints otherwise.  what names the object
 * ("dashboard 'x'") for the 404 and 403 messages.
 */
static int
call(const struct grafana_client *c, const char *method, const char *path, const char *body,
     const char *what, json_t **out, struct grafana_status *st, struct mm_err *err)
{
	struct http_header hdr[3];
	struct http_request rq = {0};
	struct http_response rs;
	char *url = xasprintf("%s%s", c->base, path);
	char line[sizeof(st->message) + 64];
	size_t nh = 0;
	int ret = -1;

	st->status = 0;
	st->gstatus[0] = st->message[0] = '\0';
	hdr[nh++] = (struct http_header){"Accept", "application/json"};
	if (body)
		hdr[nh++] = (struct http_header){"Content-Type", "application/json"};
	if (c->auth)
		hdr[nh++] = (struct http_header){"Authorization", c->auth};
	rq.method = method;
	rq.url = url;
	rq.headers = hdr;
	rq.nheaders = nh;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	rq.timeout = c->timeout;
	rq.max_body = GRAFANA_MAX_BODY;
	rq.ca_file = c->ca_file;
	if (http_do(&rq, &rs, err) < 0) {
		if (err && err->code == MM_E_LIMIT)
			err->code = MM_E_NET;
		goto out;
	}
	if (rs.status >= 200 && rs.status < 300) {
		if (out) {
			struct mm_err perr;

			*out = jsontree_loadb(rs.body.data, rs.body.len, "answer", &perr);
			if (!*out) {
				mm_errf(err, MM_E_NET, "%s %s: the answer is not JSON (%s)", method,
					url, perr.msg);
				goto out;
			}
		}
		st->status = rs.status;
		ret = 0;
		goto out;
	}
	read_status(&rs, st);
	if (st->message[0])
		snprintf(line, sizeof(line), "%ld %s: %s", rs.status, reason(rs.status),
			 st->message);
	else
		snprintf(line, sizeof(line), "%ld %s", rs.status, reason(rs.status));
	if (rs.status >= 300 && rs.status < 400)
		mm_errf(err, MM_E_NET,
			"%s %s: redirected (%ld) to '%s', not followed so the credentials stay "
			"with this host: give the address it names as --url",
			method, url, rs.status, rs.location ? rs.location : "?");
	else if (rs.status == 401)
		mm_errf(err, MM_E_NET,
			"%s %s: Grafana refused the credentials (%s): set GRAFANA_TOKEN to a "
			"service account token, or use --token-file or --basic-auth-file",
			method, url, line);
	else if (rs.status == 403)
		mm_errf(err, MM_E_NET,
			"%s %s: the credentials may not do this (%s): %s needs a role that can %s "
			"it",
			method, url, line, what, strcmp(method, "GET") ? "write" : "read");
	else if (rs.status == 404)
		mm_errf(err, MM_E_NET, "%s %s: %s not found (%s)", method, url, what, line);
	else if (rs.status == 412 && strcmp(st->gstatus, "version-mismatch") == 0)
		mm_errf(err, MM_E_NET,
			"%s %s: %s was changed on the server since this import read it (%s)",
			method, url, what, line);
	else if (rs.status >= 500)
		mm_errf(err, MM_E_NET, "%s %s: Grafana failed (%s): see Grafana's log", method, url,
			line);
	else
		mm_errf(err, MM_E_NET, "%s %s: %s", method, url, line);
out:
	http_response_release(&rs);
	free(url);
	return ret;
}

int
grafana_health(const struct grafana_client *c, char **version, struct grafana_status *st,
	       struct mm_err *err)
{
	json_t *j = NULL;

	if (version)
		*version = NULL;
	if (call(c, "GET", "/api/health", NULL, "the health check", &j, st, err) < 0)
		return -1;
	if (!json_is_object(j) || strcmp(jsontree_str(j, "database", ""), "ok") != 0) {
		json_decref(j);
		return mm_errf(err, MM_E_NET,
			       "GET %s/api/health: Grafana is not healthy (database is not \"ok\")",
			       c->base);
	}
	if (version)
		*version = xstrdup(jsontree_str(j, "version", ""));
	json_decref(j);
	return 0;
}

json_t *
grafana_get_dashboard(const struct grafana_client *c, const char *uid, struct grafana_status *st,
		      struct mm_err *err)
{
	struct buf path = BUF_INIT(4096);
	char *what = xasprintf("dashboard '%s'", uid);
	json_t *j = NULL;

	buf_adds(&path, "/api/dashboards/uid/");
	path_escape(&path, uid);
	if (buf_failed(&path)) {
		mm_errf(err, MM_E_USAGE, "the uid is too long");
		goto out;
	}
	if (call(c, "GET", path.data, NULL, what, &j, st, err) < 0)
		goto out;
	if (!json_is_object(json_object_get(j, "dashboard")) ||
	    !json_is_object(json_object_get(j, "meta"))) {
		mm_errf(err, MM_E_NET, "GET %s%s: the answer has no dashboard and meta objects",
			c->base, path.data);
		json_decref(j);
		j = NULL;
	}
out:
	buf_release(&path);
	free(what);
	return j;
}

void
grafana_hits_free(struct grafana_hit *hits, size_t n)
{
	size_t i;

	for (i = 0; hits && i < n; i++) {
		free(hits[i].uid);
		free(hits[i].title);
		free(hits[i].folder_uid);
		free(hits[i].folder_title);
	}
	free(hits);
}

static int
seen_uid(const struct grafana_hit *hits, size_t n, const char *uid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(hits[i].uid, uid) == 0)
			return 1;
	return 0;
}

int
grafana_search(const struct grafana_client *c, size_t page_size, struct grafana_hit **hits,
	       size_t *n, struct grafana_status *st, struct mm_err *err)
{
	struct grafana_hit *v = NULL;
	size_t nv = 0, page;
	int ret = -1;

	if (!page_size)
		page_size = GRAFANA_SEARCH_LIMIT;
	for (page = 1; page <= GRAFANA_SEARCH_MAX_PAGES; page++) {
		char path[128];
		json_t *j = NULL, *e;
		size_t i;

		snprintf(path, sizeof(path), "/api/search?type=dash-db&limit=%zu&page=%zu",
			 page_size, page);
		if (call(c, "GET", path, NULL, "the dashboard search", &j, st, err) < 0)
			goto out;
		if (!json_is_array(j)) {
			json_decref(j);
			mm_errf(err, MM_E_NET, "GET %s%s: the answer is not a list", c->base, path);
			goto out;
		}
		json_array_foreach(j, i, e)
		{
			const char *uid = jsontree_str(e, "uid", "");

			if (strcmp(jsontree_str(e, "type", "dash-db"), "dash-db") != 0 || !*uid ||
			    seen_uid(v, nv, uid))
				continue;
			v = xreallocarray(v, nv + 1, sizeof(*v));
			v[nv].uid = xstrdup(uid);
			v[nv].title = xstrdup(jsontree_str(e, "title", ""));
			v[nv].folder_uid = xstrdup(jsontree_str(e, "folderUid", ""));
			v[nv].folder_title = xstrdup(jsontree_str(e, "folderTitle", ""));
			nv++;
		}
		i = json_array_size(j);
		json_decref(j);
		if (i < page_size) {
			ret = 0;
			goto out;
		}
	}
	mm_errf(err, MM_E_NET, "GET %s/api/search: still listing after %d pages", c->base,
		GRAFANA_SEARCH_MAX_PAGES);
out:
	if (ret < 0) {
		grafana_hits_free(v, nv);
		v = NULL;
		nv = 0;
	}
	*hits = v;
	*n = nv;
	return ret;
}

json_t *
grafana_normalize(const json_t *dash)
{
	json_t *d;
	size_t i;

	if (!json_is_object(dash))
		return NULL;
	d = json_deep_copy(dash);
	for (i = 0; grafana_churn_keys[i]; i++)
		json_object_del(d, grafana_churn_keys[i]);
	return d;
}

json_t *
grafana_save_dashboard(const struct grafana_client *c, const struct grafana_save *s, char **sent,
		       struct grafana_status *st, struct mm_err *err)
{
	json_t *body = json_object(), *d = grafana_normalize(s->dashboard), *ans = NULL;
	char *text = NULL, *what;

	if (sent)
		*sent = NULL;
	if (!d) {
		json_decref(body);
		mm_errf(err, MM_E_USAGE, "the dashboard is not a JSON object");
		return NULL;
	}
	what = xasprintf("dashboard '%s'", jsontree_str(d, "uid", ""));
	/* id null: the uid is the key, never this server's numeric id. */
	json_object_set_new(d, "id", json_null());
	if (s->version >= 0)
		json_object_set_new(d, "version", json_integer(s->version));
	json_object_set_new(body, "dashboard", d);
	json_object_set_new(body, "folderUid", json_string(s->folder_uid ? s->folder_uid : ""));
	if (s->message)
		json_object_set_new(body, "message", json_string(s->message));
	json_object_set_new(body, "overwrite", json_boolean(s->overwrite));
	text = jsontree_dumps_compact(body);
	if (call(c, "POST", "/api/dashboards/db", text, what, &ans, st, err) == 0 &&
	    !json_is_object(ans)) {
		mm_errf(err, MM_E_NET, "POST %s/api/dashboards/db: the answer is not an object",
			c->base);
		json_decref(ans);
		ans = NULL;
	}
	if (sent)
		*sent = text;
	else
		free(text);
	free(what);
	json_decref(body);
	return ans;
}
