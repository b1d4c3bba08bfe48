/*
 * policy.c - load deploy/policies/rollback.yaml into an immutable struct
 * policy and answer the one question the watcher asks of it per alert:
 * hard, soft or neither, judged on the alert's own labels.  Loading does all
 * the checking (unknown keys, variables, template fields, regexes, URLs,
 * header syntax), so a policy that loads can always be executed; every
 * complaint carries the file:line:col of the offending node.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "http.h"
#include "jsontree.h"
#include "jsonpull.h"
#include "policy.h"
#include "xalloc.h"
#include "yaml.h"

static const char *const decision_names[DECISION__COUNT] = {
    "rollback", "notify", "ignored", "duplicate", "cooldown",
};

const char *
decision_name(enum decision_kind k)
{
	return (unsigned)k < DECISION__COUNT ? decision_names[k] : "?";
}

int
decision_from_name(const char *s)
{
	int i;

	for (i = 0; i < DECISION__COUNT; i++)
		if (strcmp(decision_names[i], s) == 0)
			return i;
	return -1;
}

const char *
hardness_name(enum hardness g)
{
	static const char *names[] = {"", "soft", "hard"};

	return names[g];
}

/* ---- matchers (Alertmanager's classic syntax) ---- */

static const char *
skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static void
matcher_release(struct matcher *m)
{
	free(m->name);
	free(m->value);
	if (m->has_re)
		regfree(&m->re);
}

void
matcher_group_release(struct matcher_group *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->n; i++)
		matcher_release(&g->m[i]);
	free(g->m);
	free(g->text);
	memset(g, 0, sizeof(*g));
}

/* Parse one matcher starting at *pp; stops at ',' or '}' (when in_braces) or the end. */
static int
matcher_parse_one(const char **pp, int in_braces, struct matcher *m, struct mm_err *err)
{
	const char *p = skip_space(*pp), *start = p;
	struct buf val = BUF_INIT(POLICY_MAX_VALUE);
	int ret = -1;

	memset(m, 0, sizeof(*m));
	if (!(isalpha((unsigned char)*p) || *p == '_'))
		return mm_errf(err, MM_E_CONFIG, "matcher must start with a label name: '%s'",
			       start);
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	m->name = xstrndup(start, (size_t)(p - start));
	p = skip_space(p);
	if (p[0] == '=' && p[1] == '~') {
		m->op = MATCH_RE;
		p += 2;
	} else if (p[0] == '!' && p[1] == '~') {
		m->op = MATCH_NRE;
		p += 2;
	} else if (p[0] == '!' && p[1] == '=') {
		m->op = MATCH_NE;
		p += 2;
	} else if (p[0] == '=') {
		m->op = MATCH_EQ;
		p += 1;
	} else {
		mm_errf(err, MM_E_CONFIG, "matcher '%s' needs an operator (=, !=, =~, !~)", start);
		goto out;
	}
	p = skip_space(p);
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\') {
				p++;
				if (*p == 'n')
					buf_addc(&val, '\n');
				else if (*p == '\\' || *p == '"')
					buf_addc(&val, *p);
				else {
					mm_errf(err, MM_E_CONFIG, "matcher '%s': bad escape '\\%c'",
						start, *p ? *p : ' ');
					goto out;
				}
			} else {
				buf_addc(&val, *p);
			}
		}
		if (*p != '"') {
			mm_errf(err, MM_E_CONFIG, "matcher '%s': unterminated quoted value", start);
			goto out;
		}
		p = skip_space(p + 1);
	} else {
		const char *vs = p, *ve;

		while (*p && !(in_braces && (*p == ',' || *p == '}')))
			p++;
		ve = p;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (memchr(vs, '"', (size_t)(ve - vs))) {
			mm_errf(err, MM_E_CONFIG, "matcher '%s': stray quote in value", start);
			goto out;
		}
		buf_add(&val, vs, (size_t)(ve - vs));
	}
	if (*p && !(in_braces && (*p == ',' || *p == '}'))) {
		mm_errf(err, MM_E_CONFIG, "matcher '%s': unexpected '%c' after the value", start,
			*p);
		goto out;
	}
	m->value = xstrdup(val.data ? val.data : "");
	if (m->op == MATCH_RE || m->op == MATCH_NRE) {
		char *anchored = xasprintf("^(%s)$", m->value);
		int rc = regcomp(&m->re, anchored, REG_EXTENDED | REG_NOSUB);

		free(anchored);
		if (rc != 0) {
			char msg[128];

			regerror(rc, &m->re, msg, sizeof(msg));
			mm_errf(err, MM_E_CONFIG, "matcher '%s': bad regular expression: %s", start,
				msg);
			goto out;
		}
		m->has_re = 1;
	}
	*pp = p;
	ret = 0;
out:
	buf_release(&val);
	if (ret < 0)
		matcher_release(m);
	return ret;
}

int
matcher_group_parse(const char *s, struct matcher_group *g, struct mm_err *err)
{
	const char *p = skip_space(s);
	int braces = 0;

	memset(g, 0, sizeof(*g));
	g->text = xstrdup(s);
	if (*p == '{') {
		braces = 1;
		p = skip_space(p + 1);
		if (*p == '}')
			goto empty;
	}
	for (;;) {
		if (g->n >= POLICY_MAX_MATCHERS) {
			mm_errf(err, MM_E_CONFIG, "more than %d matchers in '%s'",
				POLICY_MAX_MATCHERS, s);
			goto fail;
		}
		g->m = xreallocarray(g->m, g->n + 1, sizeof(*g->m));
		if (matcher_parse_one(&p, braces, &g->m[g->n], err) < 0)
			goto fail;
		g->n++;
		if (!braces)
			break;
		if (*p == ',') {
			p = skip_space(p + 1);
			if (*p == '}')
				break; /* a trailing comma, as Alertmanager allows */
			continue;
		}
		if (*p != '}') {
			mm_errf(err, MM_E_CONFIG, "matchers '%s': missing '}'", s);
			goto fail;
		}
		break;
	}
	if (braces)
		p = skip_space(p + 1);
	if (*p) {
		mm_errf(err, MM_E_CONFIG, "matchers '%s': unexpected text after '}'", s);
		goto fail;
	}
	return 0;
empty:
	mm_errf(err, MM_E_CONFIG, "matchers '%s': an empty group would match every alert", s);
fail:
	matcher_group_release(g);
	return -1;
}

static int
matcher_match(const struct matcher *m, const struct alert_labels *l)
{
	const char *v = alert_labels_get(l, m->name);

	if (!v)
		v = "";
	switch (m->op) {
	case MATCH_EQ:
		return strcmp(v, m->value) == 0;
	case MATCH_NE:
		return strcmp(v, m->value) != 0;
	case MATCH_RE:
		return regexec(&m->re, v, 0, NULL, 0) == 0;
	case MATCH_NRE:
		return regexec(&m->re, v, 0, NULL, 0) != 0;
	}
	return 0;
}

int
matcher_group_match(const struct matcher_group *g, const struct alert_labels *l)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!matcher_match(&g->m[i], l))
			return 0;
	return 1;
}

/* ---- variables ---- */

struct var {
	const char *name; /* borrowed from the YAML tree */
	char *value;
	int secret;
};

struct vars {
	struct var v[POLICY_MAX_VARIABLES];
	size_t n;
};

static void
vars_release(struct vars *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		free(vs->v[i].value);
	vs->n = 0;
}

static const struct var *
vars_get(const struct vars *vs, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (strlen(vs->v[i].name) == len && memcmp(vs->v[i].name, name, len) == 0)
			return &vs->v[i];
	return NULL;
}

static int
valid_ident(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

static int
load_var(const struct ypair *pr, struct var *out, struct mm_err *err)
{
	static const char *const keys[] = {"value", "env", "file", "default", "secret", NULL};
	const struct ynode *n = pr->val, *k;
	const char *s;

	out->name = pr->key->str;
	out->value = NULL;
	out->secret = 0;
	if (!valid_ident(out->name))
		return ynode_errf(pr->key, err, "variable name '%s' is not [A-Za-z_][A-Za-z0-9_]*",
				  out->name);
	if (n->kind == YNODE_SCALAR) {
		out->value = xstrdup(n->str);
		return 0;
	}
	if (ynode_check_keys(n, keys, err) < 0)
		return -1;
	if ((k = ynode_get(n, "secret")) && ynode_bool(k, &out->secret, err) < 0)
		return -1;
	if ((k = ynode_get(n, "value"))) {
		if (ynode_get(n, "env") || ynode_get(n, "file") || ynode_get(n, "default"))
			return ynode_errf(k, err,
					  "variable '%s': 'value' excludes env, file and default",
					  out->name);
		if (ynode_str(k, &s, err) < 0)
			return -1;
		out->value = xstrdup(s);
		return 0;
	}
	if ((k = ynode_get(n, "env"))) {
		const char *e;

		if (ynode_str(k, &s, err) < 0)
			return -1;
		if (!valid_ident(s))
			return ynode_errf(k, err, "'%s' is not an environment variable name", s);
		if ((e = getenv(s)) && *e) {
			if (strlen(e) > POLICY_MAX_VALUE)
				return ynode_errf(k, err, "$%s is longer than %zu bytes", s,
						  POLICY_MAX_VALUE);
			out->value = xstrdup(e);
			return 0;
		}
	}
	if ((k = ynode_get(n, "file"))) {
		struct buf b = BUF_INIT(POLICY_MAX_VALUE);
		struct mm_err ferr;
		FILE *probe;

		if (ynode_str(k, &s, err) < 0)
			return -1;
		/* A missing file falls through to the default; an unreadable one is an error. */
		if ((probe = fopen(s, "r")) || !ynode_get(n, "default")) {
			if (probe)
				fclose(probe);
			if (buf_read_file(&b, s, &ferr) < 0) {
				buf_release(&b);
				return ynode_errf(k, err, "variable '%s': %s", out->name, ferr.msg);
			}
			if (b.len && b.data[b.len - 1] == '\n')
				b.data[--b.len] = '\0';
			if (b.len && b.data[b.len - 1] == '\r')
				b.data[--b.len] = '\0';
			if (strlen(b.data ? b.data : "") != b.len) {
				buf_release(&b);
				return ynode_errf(k, err,
						  "variable '%s': file '%s' contains a NUL byte",
						  out->name, s);
			}
			out->value = xstrdup(b.data ? b.data : "");
			buf_release(&b);
			return 0;
		}
	}
	if ((k = ynode_get(n, "default"))) {
		if (ynode_is_null(k)) {
			out->value = xstrdup("");
			return 0;
		}
		if (ynode_str(k, &s, err) < 0)
			return -1;
		out->value = xstrdup(s);
		return 0;
	}
	return ynode_errf(n, err, "variable '%s' has no value: give value, env, file or default",
			  out->name);
}

static int
load_vars(const struct ynode *n, struct vars *vs, struct mm_err *err)
{
	size_t i;

	vs->n = 0;
	if (!n || ynode_is_null(n))
		return 0;
	if (n->kind != YNODE_MAP)
		return ynode_errf(n, err, "variables: expected a mapping");
	if (n->n > POLICY_MAX_VARIABLES)
		return ynode_errf(n, err, "more than %d variables", POLICY_MAX_VARIABLES);
	for (i = 0; i < n->n; i++) {
		if (load_var(&n->pairs[i], &vs->v[vs->n], err) < 0)
			return -1;
		vs->n++;
	}
	return 0;
}

/* ---- templates (lib/tpl.c) with the policy's variables and positions ---- */

static int
var_lookup(void *ctx, const char *name, size_t len, const char **value, int *secret)
{
	const struct var *v = vars_get(ctx, name, len);

	if (!v)
		return 0;
	*value = v->value;
	*secret = v->secret;
	return 1;
}

/* tpl_parse() of the scalar s at node n; its error gets n's file:line:col. */
static int
tpl_parse_at(const struct ynode *n, const char *s, const struct vars *vs, int allow_fields,
	     struct tpl *t, int *used_empty, struct mm_err *err)
{
	struct mm_err e;

	if (tpl_parse(s, var_lookup, (void *)vs, allow_fields, t, used_empty, &e) == 0)
		return 0;
	return ynode_errf(n, err, "%s", e.msg);
}

/* ---- actions ---- */

static void
action_release(struct policy_action *a)
{
	size_t i;

	free(a->name);
	free(a->skip_reason);
	free(a->method);
	free(a->url);
	free(a->url_shown);
	for (i = 0; i < a->nheaders; i++) {
		free(a->headers[i].name);
		free(a->headers[i].value);
		free(a->headers[i].shown);
	}
	free(a->headers);
	tpl_release(&a->body);
	for (i = 0; i < a->argc; i++)
		tpl_release(&a->argv[i]);
	free(a->argv);
	for (i = 0; i < a->nenv; i++)
		tpl_release(&a->env[i]);
	free(a->env);
}

static int
is_tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int
has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return 1;
	return 0;
}

static const char *const http_methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};

static int
load_http(const struct ynode *n, const struct vars *vs, struct policy_action *a, struct mm_err *err)
{
	static const char *const keys[] = {"method", "url", "headers", "body", NULL};
	const struct ynode *k;
	const char *s;
	struct tpl t;
	size_t i;
	int ok = 0, has_ct = 0, json_ct = 0;

	if (ynode_check_keys(n, keys, err) < 0)
		return -1;
	a->kind = ACTION_HTTP;
	a->method = xstrdup("POST");
	if ((k = ynode_get(n, "method"))) {
		if (ynode_str(k, &s, err) < 0)
			return -1;
		for (i = 0; http_methods[i]; i++)
			if (strcmp(http_methods[i], s) == 0)
				ok = 1;
		if (!ok)
			return ynode_errf(k, err,
					  "unknown HTTP method '%s' (GET, POST, PUT, PATCH, "
					  "DELETE)",
					  s);
		free(a->method);
		a->method = xstrdup(s);
	}
	if (!(k = ynode_get(n, "url")))
		return ynode_errf(n, err, "http action needs a url");
	if (ynode_str(k, &s, err) < 0 || tpl_parse_at(k, s, vs, 0, &t, NULL, err) < 0)
		return -1;
	a->url = tpl_literal(&t, 0);
	a->url_shown = tpl_literal(&t, 1);
	tpl_release(&t);
	if (!a->skip_reason && (!http_is_url(a->url) || strpbrk(a->url, " \t\r\n")))
		return ynode_errf(k, err, "url '%s' is not an http:// or https:// URL",
				  a->url_shown);
	if ((k = ynode_get(n, "headers")) && !ynode_is_null(k)) {
		if (k->kind != YNODE_MAP)
			return ynode_errf(k, err, "headers: expected a mapping of name: value");
		a->headers = k->n ? xcalloc(k->n, sizeof(*a->headers)) : NULL;
		for (i = 0; i < k->n; i++) {
			const struct ypair *pr = &k->pairs[i];
			struct policy_header *h = &a->headers[a->nheaders];
			const char *c;

			for (c = pr->key->str; *c; c++)
				if (!is_tchar((unsigned char)*c))
					break;
			if (*c || !*pr->key->str)
				return ynode_errf(pr->key, err, "'%s' is not a valid header name",
						  pr->key->str);
			int empty_var = 0;

			if (ynode_str(pr->val, &s, err) < 0 ||
			    tpl_parse_at(pr->val, s, vs, 0, &t, &empty_var, err) < 0)
				return -1;
			if (empty_var) {
				/* "Bearer ${token}" with no token: the header is not sent */
				tpl_release(&t);
				continue;
			}
			h->name = xstrdup(pr->key->str);
			h->value = tpl_literal(&t, 0);
			h->shown = tpl_literal(&t, 1);
			tpl_release(&t);
			a->nheaders++;
			if (has_ctl(h->value))
				return ynode_errf(pr->val, err,
						  "header '%s' contains a control character",
						  h->name);
			if (strcasecmp(h->name, "Content-Type") == 0) {
				has_ct = 1;
				json_ct = strstr(h->value, "json") != NULL;
			}
		}
	}
	if ((k = ynode_get(n, "body")) && !ynode_is_null(k)) {
		if (ynode_str(k, &s, err) < 0 || tpl_parse_at(k, s, vs, 1, &a->body, NULL, err) < 0)
			return -1;
		a->has_body = 1;
		if (!has_ct) {
			/* A body is JSON unless the policy says otherwise. */
			a->headers =
			    xreallocarray(a->headers, a->nheaders + 1, sizeof(*a->headers));
			a->headers[a->nheaders].name = xstrdup("Content-Type");
			a->headers[a->nheaders].value = xstrdup("application/json");
			a->headers[a->nheaders].shown = xstrdup("application/json");
			a->nheaders++;
			json_ct = 1;
		}
		if (json_ct && !a->skip_reason) {
			/* Render with a sample alert: a JSON body must stay JSON for any alert. */
			struct alert_label lb = {(char *)"alertname", (char *)"Sample\"Alert"};
			struct alert sample;
			struct tpl_ctx c;
			struct buf out = BUF_INIT((size_t)1 << 22);
			struct mm_err jerr;
			json_t *j;

			memset(&sample, 0, sizeof(sample));
			sample.labels.v = &lb;
			sample.labels.n = 1;
			sample.starts_at = sample.ends_at = sample.generator_url = (char *)"";
			sample.fingerprint = (char *)"0000000000000000";
			memset(&c, 0, sizeof(c));
			c.alert = &sample;
			c.gate = "hard";
			tpl_render(&a->body, &c, 0, 1, &out);
			j = jsontree_loadb(out.data ? out.data : "", out.len, "body", &jerr);
			buf_release(&out);
			if (!j)
				return ynode_errf(k, err,
						  "body is not valid JSON once rendered (%s); "
						  "set a Content-Type header for other bodies",
						  jerr.msg);
			json_decref(j);
		}
	}
	return 0;
}

static int
load_command(const struct ynode *n, const struct ynode *envn, const struct vars *vs,
	     struct policy_action *a, struct mm_err *err)
{
	const char *s;
	size_t i;

	a->kind = ACTION_COMMAND;
	if (n->kind != YNODE_SEQ || n->n == 0)
		return ynode_errf(n, err, "command: expected a non-empty list (argv, no shell)");
	if (n->n > POLICY_MAX_ARGS)
		return ynode_errf(n, err, "command: more than %d arguments", POLICY_MAX_ARGS);
	a->argv = xcalloc(n->n, sizeof(*a->argv));
	for (i = 0; i < n->n; i++) {
		if (ynode_str(n->items[i], &s, err) < 0 ||
		    tpl_parse_at(n->items[i], s, vs, i > 0, &a->argv[i], NULL, err) < 0)
			return -1;
		a->argc++;
	}
	if (!a->skip_reason && a->argv[0].seg[0].text[0] != '/')
		return ynode_errf(n->items[0], err, "command: '%s' must be an absolute path",
				  a->argv[0].seg[0].shown);
	if (!envn || ynode_is_null(envn))
		return 0;
	if (envn->kind != YNODE_MAP)
		return ynode_errf(envn, err, "env: expected a mapping of NAME: value");
	a->env = envn->n ? xcalloc(envn->n, sizeof(*a->env)) : NULL;
	for (i = 0; i < envn->n; i++) {
		const struct ypair *pr = &envn->pairs[i];
		char *joined;
		int rc;

		if (!valid_ident(pr->key->str))
			return ynode_errf(pr->key, err, "'%s' is not an environment variable name",
					  pr->key->str);
		if (ynode_str(pr->val, &s, err) < 0)
			return -1;
		joined = xasprintf("%s=%s", pr->key->str, s);
		rc = tpl_parse_at(pr->val, joined, vs, 1, &a->env[i], NULL, err);
		free(joined);
		if (rc < 0)
			return -1;
		a->nenv++;
	}
	return 0;
}

static int
load_action(const struct ynode *n, const struct vars *vs, struct policy_action *a,
	    struct mm_err *err)
{
	static const char *const keys[] = {"name",    "description", "on",  "requires",
					   "http",    "command",     "env", "timeout",
					   "retries", "retry_delay", NULL};
	const struct ynode *k, *http, *cmd;
	const char *s;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->line = n->line;
	a->col = n->col;
	a->timeout = POLICY_DEFAULT_TIMEOUT;
	a->retry_delay = POLICY_DEFAULT_RETRY_DELAY;
	a->on = 1u << DECISION_ROLLBACK;
	if (ynode_check_keys(n, keys, err) < 0)
		return -1;
	if (!(k = ynode_get(n, "name")))
		return ynode_errf(n, err, "action needs a name");
	if (ynode_str(k, &s, err) < 0)
		return -1;
	for (i = 0; s[i]; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			break;
	if (!*s || s[i] || i > 64)
		return ynode_errf(k, err, "action name '%s' must be 1-64 of [A-Za-z0-9_.-]", s);
	a->name = xstrdup(s);
	if ((k = ynode_get(n, "on"))) {
		if (k->kind != YNODE_SEQ || k->n == 0)
			return ynode_errf(k, err,
					  "on: expected a list of decisions (rollback, notify)");
		a->on = 0;
		for (i = 0; i < k->n; i++) {
			int d;

			if (ynode_str(k->items[i], &s, err) < 0)
				return -1;
			d = decision_from_name(s);
			if (d != DECISION_ROLLBACK && d != DECISION_NOTIFY)
				return ynode_errf(k->items[i], err,
						  "on: '%s' is not rollback or notify", s);
			a->on |= 1u << d;
		}
	}
	if ((k = ynode_get(n, "requires"))) {
		if (k->kind != YNODE_SEQ)
			return ynode_errf(k, err, "requires: expected a list of variable names");
		for (i = 0; i < k->n; i++) {
			const struct var *v;

			if (ynode_str(k->items[i], &s, err) < 0)
				return -1;
			if (!(v = vars_get(vs, s, strlen(s))))
				return ynode_errf(k->items[i], err,
						  "requires: unknown variable '%s'", s);
			if (!*v->value && !a->skip_reason)
				a->skip_reason = xasprintf("variable '%s' is empty", s);
		}
	}
	if ((k = ynode_get(n, "timeout"))) {
		if (ynode_duration(k, &a->timeout, err) < 0)
			return -1;
		if (a->timeout <= 0 || a->timeout > POLICY_MAX_TIMEOUT)
			return ynode_errf(k, err, "timeout must be more than 0 and at most %gs",
					  POLICY_MAX_TIMEOUT);
	}
	if ((k = ynode_get(n, "retries")) &&
	    ynode_long(k, 0, POLICY_MAX_RETRIES, &a->retries, err) < 0)
		return -1;
	if ((k = ynode_get(n, "retry_delay"))) {
		if (ynode_duration(k, &a->retry_delay, err) < 0)
			return -1;
		if (a->retry_delay > POLICY_MAX_TIMEOUT)
			return ynode_errf(k, err, "retry_delay must be at most %gs",
					  POLICY_MAX_TIMEOUT);
	}
	http = ynode_get(n, "http");
	cmd = ynode_get(n, "command");
	if (!http == !cmd)
		return ynode_errf(n, err, "action '%s' needs exactly one of http or command",
				  a->name);
	if (http) {
		if ((k = ynode_get(n, "env")))
			return ynode_errf(k, err, "env is for command actions");
		return load_http(http, vs, a, err);
	}
	return load_command(cmd, ynode_get(n, "env"), vs, a, err);
}

/* ---- classes ---- */

static void
class_release(struct alert_class *c)
{
	size_t i;

	for (i = 0; i < c->nnames; i++)
		free(c->alertnames[i]);
	free(c->alertnames);
	for (i = 0; i < c->ngroups; i++)
		matcher_group_release(&c->groups[i]);
	free(c->groups);
	memset(c, 0, sizeof(*c));
}

static int
load_class(const struct ynode *n, struct alert_class *c, struct mm_err *err)
{
	static const char *const keys[] = {"alertnames", "matchers", NULL};
	const struct ynode *k;
	const char *s;
	size_t i;

	if (!n || ynode_is_null(n))
		return 0;
	if (ynode_check_keys(n, keys, err) < 0)
		return -1;
	if ((k = ynode_get(n, "alertnames")) && !ynode_is_null(k)) {
		if (k->kind != YNODE_SEQ)
			return ynode_errf(k, err, "alertnames: expected a list of alert names");
		c->alertnames = k->n ? xcalloc(k->n, sizeof(*c->alertnames)) : NULL;
		for (i = 0; i < k->n; i++) {
			if (ynode_str(k->items[i], &s, err) < 0)
				return -1;
			if (!*s)
				return ynode_errf(k->items[i], err, "empty alert name");
			c->alertnames[c->nnames++] = xstrdup(s);
		}
	}
	if ((k = ynode_get(n, "matchers")) && !ynode_is_null(k)) {
		if (k->kind != YNODE_SEQ)
			return ynode_errf(k, err,
					  "matchers: expected a list like ['gate=\"hard\"']");
		c->groups = k->n ? xcalloc(k->n, sizeof(*c->groups)) : NULL;
		for (i = 0; i < k->n; i++) {
			struct mm_err merr;

			if (ynode_str(k->items[i], &s, err) < 0)
				return -1;
			if (matcher_group_parse(s, &c->groups[i], &merr) < 0)
				return ynode_errf(k->items[i], err, "%s", merr.msg);
			c->ngroups++;
		}
	}
	return 0;
}

static int
class_has_name(const struct alert_class *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nnames; i++)
		if (strcmp(c->alertnames[i], name) == 0)
			return 1;
	return 0;
}

/* 1 and why when c matches a. */
static int
class_match(const struct alert_class *c, const struct alert *a, char *why, size_t whysz)
{
	const char *name = alert_name(a);
	size_t i;

	if (*name && class_has_name(c, name)) {
		if (why)
			snprintf(why, whysz, "alertname %s", name);
		return 1;
	}
	for (i = 0; i < c->ngroups; i++) {
		if (matcher_group_match(&c->groups[i], &a->labels)) {
			if (why)
				snprintf(why, whysz, "matcher %s", c->groups[i].text);
			return 1;
		}
	}
	return 0;
}

enum hardness
policy_classify(const struct policy *p, const struct alert *a, char *why, size_t whysz)
{
	if (why && whysz)
		why[0] = '\0';
	if (class_match(&p->hard, a, why, whysz))
		return HARDNESS_HARD;
	if (class_match(&p->soft, a, why, whysz))
		return HARDNESS_SOFT;
	return HARDNESS_NONE;
}

size_t
policy_count_actions(const struct policy *p, enum decision_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < p->nactions; i++)
		if (p->actions[i].on & (1u << k))
			n++;
	return n;
}

/* ---- the file ---- */

void
policy_free(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	free(p->file);
	class_release(&p->hard);
	class_release(&p->soft);
	for (i = 0; i < p->nactions; i++)
		action_release(&p->actions[i]);
	free(p->actions);
	free(p);
}

static int
load_root(const struct ydoc *doc, struct policy *p, struct vars *vs, struct mm_err *err)
{
	static const char *const keys[] = {
	    "version", "description", "cooldown", "dedup_retention", "variables", "hard",
	    "soft",    "actions",     NULL};
	const struct ynode *root = doc->root, *k;
	size_t i, j;

	if (!root)
		return mm_errf_at(err, MM_E_CONFIG, doc->file, 1, 1, "empty policy");
	if (ynode_check_keys(root, keys, err) < 0)
		return -1;
	if ((k = ynode_get(root, "version"))) {
		long v;

		if (ynode_long(k, 1, 1000, &v, err) < 0)
			return -1;
		if (v != POLICY_VERSION)
			return ynode_errf(k, err, "unsupported policy version %ld (mmops reads %d)",
					  v, POLICY_VERSION);
	}
	if ((k = ynode_get(root, "cooldown")) && ynode_duration(k, &p->cooldown, err) < 0)
		return -1;
	if ((k = ynode_get(root, "dedup_retention"))) {
		if (ynode_duration(k, &p->retention, err) < 0)
			return -1;
		if (p->retention < 3600)
			return ynode_errf(k, err,
					  "dedup_retention must be at least 1h (Alertmanager "
					  "resends firing alerts every repeat_interval)");
	}
	if (load_vars(ynode_get(root, "variables"), vs, err) < 0)
		return -1;
	if (load_class(ynode_get(root, "hard"), &p->hard, err) < 0 ||
	    load_class(ynode_get(root, "soft"), &p->soft, err) < 0)
		return -1;
	for (i = 0; i < p->hard.nnames; i++)
		if (class_has_name(&p->soft, p->hard.alertnames[i])) {
			k = ynode_get(ynode_get(root, "soft"), "alertnames");
			for (j = 0; j < k->n; j++)
				if (strcmp(k->items[j]->str, p->hard.alertnames[i]) == 0)
					return ynode_errf(k->items[j], err,
							  "alert '%s' is listed "
							  "as both hard and soft",
							  p->hard.alertnames[i]);
		}
	if ((k = ynode_get(root, "actions")) && !ynode_is_null(k)) {
		if (k->kind != YNODE_SEQ)
			return ynode_errf(k, err, "actions: expected a list");
		if (k->n > POLICY_MAX_ACTIONS)
			return ynode_errf(k, err, "more than %d actions", POLICY_MAX_ACTIONS);
		p->actions = k->n ? xcalloc(k->n, sizeof(*p->actions)) : NULL;
		for (i = 0; i < k->n; i++) {
			if (load_action(k->items[i], vs, &p->actions[i], err) < 0) {
				action_release(&p->actions[i]);
				return -1;
			}
			p->nactions++;
			for (j = 0; j < i; j++)
				if (strcmp(p->actions[j].name, p->actions[i].name) == 0)
					return ynode_errf(ynode_get(k->items[i], "name"), err,
							  "duplicate action name '%s'",
							  p->actions[i].name);
		}
	}
	if ((p->hard.nnames || p->hard.ngroups) && !policy_count_actions(p, DECISION_ROLLBACK))
		return ynode_errf(root, err,
				  "hard alerts are defined but no action runs on "
				  "rollback");
	return 0;
}

static struct policy *
policy_from_doc(struct ydoc *doc, struct mm_err *err)
{
	struct policy *p = xcalloc(1, sizeof(*p));
	struct vars vs;
	int rc;

	p->file = xstrdup(doc->file ? doc->file : "");
	p->cooldown = POLICY_DEFAULT_COOLDOWN;
	p->retention = POLICY_DEFAULT_RETENTION;
	vs.n = 0;
	rc = load_root(doc, p, &vs, err);
	vars_release(&vs);
	ydoc_free(doc);
	if (rc < 0) {
		policy_free(p);
		return NULL;
	}
	return p;
}

struct policy *
policy_loadb(const char *data, size_t len, const char *name, struct mm_err *err)
{
	struct ydoc *doc = yaml_loadb(data, len, name, err);

	if (!doc)
		return NULL;
	return policy_from_doc(doc, err);
}

struct policy *
policy_load_file(const char *path, struct mm_err *err)
{
	struct ydoc *doc = yaml_load_file(path, err);

	if (!doc)
		return NULL;
	return policy_from_doc(doc, err);
}
