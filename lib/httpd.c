/*
 * httpd.c - libmicrohttpd behind a small "one call per whole request" API.
 *
 * MHD calls the access handler several times per request (headers, then
 * body pieces, then "done"); this file hides that: it keeps a per-request
 * state with a capped body buffer, refuses oversize bodies with 413 without
 * bothering the handler, and calls the handler once when the request is
 * complete.  The listening socket is bound here rather than by MHD so that
 * "address already in use" comes back as a readable error and port 0 works
 * on every MHD version.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <time.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "httpd.h"
#include "jsontree.h"
#include "log.h"
#include "xalloc.h"

#define HTTPD_HOST_MAX 256
/*
 * A chunked body (no Content-Length) past the cap cannot be answered before
 * it ends, so it is drained; past this much more the connection is dropped.
 */
#define HTTPD_MAX_DRAIN ((size_t)16 << 20)

/* One open connection, for the request deadline. */
struct conn {
	struct conn *prev, *next;
	int fd;
	double deadline; /* monotonic; 0 while its request is answered, or once cut */
	int cut;	 /* shut down by us, not closed by MHD yet */
};

struct httpd {
	struct MHD_Daemon *mhd;
	struct httpd_config cfg;
	int port;
	/* the reaper: shuts down connections past their request deadline */
	pthread_mutex_t cmu; /* the list; held across shutdown() so no fd is reused meanwhile */
	pthread_cond_t ccv;
	struct conn *conns, *tail; /* newest first */
	unsigned nconns, ncut;
	int reaper_started, stopping;
	pthread_t reaper;
	unsigned long cut;
};

struct reqstate {
	struct buf body;
	size_t drained;
	int too_big;
	char addr[INET6_ADDRSTRLEN];
};

static const char msg_413[] = "payload too large\n";

const char *
httpd_req_query(const struct httpd_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
httpd_req_header(const struct httpd_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void
httpd_resp_json(struct httpd_resp *resp, int status, const json_t *j)
{
	char *s = jsontree_dumps_compact(j);

	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	if (s) {
		buf_adds(&resp->body, s);
		buf_addc(&resp->body, '\n');
	}
	free(s);
}

void
httpd_resp_text(struct httpd_resp *resp, int status, const char *text)
{
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	buf_reset(&resp->body);
	buf_adds(&resp->body, text);
	if (resp->body.len == 0 || resp->body.data[resp->body.len - 1] != '\n')
		buf_addc(&resp->body, '\n');
}

int
httpd_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen > blen ? alen : blen;
	unsigned char diff = (unsigned char)(alen != blen);

	for (i = 0; i < n; i++) {
		unsigned char x = alen ? (unsigned char)a[i % alen] : 0;
		unsigned char y = blen ? (unsigned char)b[i % blen] : 0;

		diff |= (unsigned char)(x ^ y);
	}
	return diff == 0;
}

int
httpd_auth_ok(const struct httpd_req *req, const char *scheme, const char *expected)
{
	const char *h = req->authorization;
	size_t slen = strlen(scheme);

	if (!h || strncasecmp(h, scheme, slen) != 0 || h[slen] != ' ')
		return 0;
	h += slen + 1;
	while (*h == ' ')
		h++;
	return httpd_ct_equal(h, strlen(h), expected, strlen(expected));
}

char *
httpd_read_credential(const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(HTTPD_MAX_CREDENTIAL);
	size_t i;
	char *s;

	if (buf_read_file(&b, path, err) < 0) {
		buf_release(&b);
		return NULL;
	}
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	for (i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f) {
			buf_release(&b);
			mm_errf(err, MM_E_CONFIG,
				"credential file '%s' must hold one line without "
				"control characters",
				path);
			return NULL;
		}
	if (!b.len) {
		buf_release(&b);
		mm_errf(err, MM_E_CONFIG, "credential file '%s' is empty", path);
		return NULL;
	}
	s = xstrdup(b.data);
	buf_release(&b);
	return s;
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	if (!mm_log_enabled(MM_LOG_DEBUG))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	mm_log(MM_LOG_DEBUG, "httpd: %s", line);
}

static enum MHD_Result
send_static(struct MHD_Connection *conn, int status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
fill_addr(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	out[0] = '\0';
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !(sa = ci->client_addr))
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)n);
}

static enum MHD_Result
answer(struct httpd *h, struct MHD_Connection *conn, const char *url, const char *method,
       struct reqstate *st)
{
	struct httpd_req req;
	struct httpd_resp resp;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *data;

	fill_addr(conn, st->addr, sizeof(st->addr));
	req.method = method;
	req.path = url;
	req.content_type =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.authorization =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	req.body = st->body.data ? st->body.data : "";
	req.body_len = st->body.len;
	req.remote_addr = st->addr;
	req.conn = conn;

	resp.status = 200;
	resp.content_type = "text/plain; charset=utf-8";
	buf_init(&resp.body, HTTPD_MAX_RESP_BODY);
	resp.allow = NULL;
	resp.www_authenticate = NULL;

	h->cfg.handler(&req, &resp, h->cfg.ctx);

	if (resp.status < 100 || resp.status > 599)
		resp.status = 500;
	data = buf_detach(&resp.body, &len);
	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				resp.content_type ? resp.content_type
						  : "text/plain; charset=utf-8");
	if (resp.allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp.allow);
	if (resp.www_authenticate)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, resp.www_authenticate);
	ret = MHD_queue_response(conn, (unsigned)resp.status, r);
	MHD_destroy_response(r);
	return ret;
}

static int
content_length_over(struct MHD_Connection *conn, size_t cap)
{
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long v;
	char *end;

	if (!cl)
		return 0;
	errno = 0;
	v = strtoull(cl, &end, 10);
	if (errno == ERANGE)
		return 1;
	return end != cl && v > cap;
}

/* The request is whole: no deadline while it is answered. */
static void
conn_answering(struct httpd *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	struct conn *c;

	if (!h->cfg.request_timeout_sec)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (!ci || !(c = ci->socket_context))
		return;
	pthread_mutex_lock(&h->cmu);
	c->deadline = 0;
	pthread_mutex_unlock(&h->cmu);
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct httpd *h = cls;
	struct reqstate *st = *con_cls;

	(void)version;
	if (!st) {
		st = xcalloc(1, sizeof(*st));
		buf_init(&st->body, h->cfg.max_body);
		*con_cls = st;
		/* Refuse before the body is read (no 100 Continue is sent). */
		if (content_length_over(conn, h->cfg.max_body)) {
			st->too_big = 1;
			return send_static(conn, MHD_HTTP_CONTENT_TOO_LARGE, msg_413);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!st->too_big && buf_add(&st->body, upload_data, *upload_data_size) < 0) {
			st->too_big = 1;
			buf_release(&st->body);
		}
		if (st->too_big) {
			st->drained += *upload_data_size;
			if (st->drained > HTTPD_MAX_DRAIN)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	conn_answering(h, conn);
	if (st->too_big)
		return send_static(conn, MHD_HTTP_CONTENT_TOO_LARGE, msg_413);
	return answer(h, conn, url, method, st);
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct reqstate *st = *con_cls;
	struct httpd *h = cls;

	(void)toe;
	if (h->cfg.request_timeout_sec) {
		/* answered: the next request on this connection gets a fresh deadline */
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct conn *c = ci ? ci->socket_context : NULL;

		if (c) {
			pthread_mutex_lock(&h->cmu);
			if (!c->cut)
				c->deadline = clock_mono() + h->cfg.request_timeout_sec;
			pthread_mutex_unlock(&h->cmu);
		}
	}
	if (!st)
		return;
	buf_release(&st->body);
	free(st);
	*con_cls = NULL;
}

/* Shut c down (caller holds cmu; MHD has not closed its socket yet). */
static void
cut_locked(struct httpd *h, struct conn *c)
{
	(void)shutdown(c->fd, SHUT_RDWR);
	c->deadline = 0;
	c->cut = 1;
	h->ncut++;
	h->cut++;
}

/*
 * Keep an eighth of the slots free: past that, cut the oldest connections
 * still waiting for their request (never one being answered), so that a new
 * client (Alertmanager) always finds room, however many addresses hold
 * connections open.  Caller holds cmu.
 */
static void
trim_locked(struct httpd *h)
{
	unsigned high = h->cfg.conn_limit - h->cfg.conn_limit / 8;
	struct conn *c, *prev;

	for (c = h->tail; c && h->nconns - h->ncut > high; c = prev) {
		prev = c->prev;
		if (c->deadline > 0)
			cut_locked(h, c);
	}
}

static void
notify_conn_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
	       enum MHD_ConnectionNotificationCode code)
{
	struct httpd *h = cls;
	struct conn *c = *socket_context;

	/* connections are tracked only for the request deadline */
	if (!h->cfg.request_timeout_sec)
		return;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		if (!ci)
			return;
		c = xcalloc(1, sizeof(*c));
		c->fd = ci->connect_fd;
		c->deadline = clock_mono() + h->cfg.request_timeout_sec;
		pthread_mutex_lock(&h->cmu);
		c->next = h->conns;
		if (h->conns)
			h->conns->prev = c;
		else
			h->tail = c;
		h->conns = c;
		h->nconns++;
		/* at once, not at the next tick: MHD would refuse newcomers at its limit */
		trim_locked(h);
		pthread_mutex_unlock(&h->cmu);
		*socket_context = c;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && c) {
		/* MHD closes the socket only after this returns */
		pthread_mutex_lock(&h->cmu);
		if (c->prev)
			c->prev->next = c->next;
		else
			h->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		else
			h->tail = c->prev;
		h->nconns--;
		if (c->cut)
			h->ncut--;
		pthread_mutex_unlock(&h->cmu);
		free(c);
		*socket_context = NULL;
	}
}

/*
 * Every 100 ms: shut down the connections whose request is overdue.  The
 * connection's own thread then sees the end of the stream and MHD closes it
 * and frees its slot (and its place in the per-address count).
 */
static void *
reaper_main(void *arg)
{
	struct httpd *h = arg;

	pthread_mutex_lock(&h->cmu);
	while (!h->stopping) {
		struct timespec ts;
		double now = clock_mono();
		unsigned long n = 0;
		struct conn *c;

		for (c = h->conns; c; c = c->next)
			if (c->deadline > 0 && now > c->deadline) {
				cut_locked(h, c);
				n++;
			}
		trim_locked(h);
		if (n)
			mm_log(MM_LOG_DEBUG,
			       "httpd: cut %lu connection%s that did not send a whole "
			       "request within %us",
			       n, n == 1 ? "" : "s", h->cfg.request_timeout_sec);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->ccv, &h->cmu, &ts);
	}
	pthread_mutex_unlock(&h->cmu);
	return NULL;
}

int
httpd_split_hostport(const char *spec, char *host, size_t hostsz, int *port, struct mm_err *err)
{
	const char *colon, *hs = spec, *he;
	char *end;
	long p;

	if (!spec || !*spec)
		return mm_errf(err, MM_E_USAGE, "empty listen address");
	if (spec[0] == '[') {
		he = strchr(spec, ']');
		if (!he || he[1] != ':')
			return mm_errf(err, MM_E_USAGE, "listen address is not [host]:port: '%s'",
				       spec);
		hs = spec + 1;
		colon = he + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			return mm_errf(err, MM_E_USAGE, "listen address is not host:port: '%s'",
				       spec);
		he = colon;
		if (memchr(spec, ':', (size_t)(colon - spec)))
			return mm_errf(err, MM_E_USAGE, "IPv6 listen address needs brackets: '%s'",
				       spec);
	}
	if ((size_t)(he - hs) >= hostsz)
		return mm_errf(err, MM_E_USAGE, "listen host too long: '%s'", spec);
	if (he == hs) {
		snprintf(host, hostsz, "127.0.0.1");
	} else {
		memcpy(host, hs, (size_t)(he - hs));
		host[he - hs] = '\0';
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
		return mm_errf(err, MM_E_USAGE, "bad port in listen address: '%s'", spec);
	*port = (int)p;
	return 0;
}

/* Bind and listen; returns the fd or -1 and err. */
static int
bind_listen(const char *spec, int *bound_port, struct mm_err *err)
{
	char host[HTTPD_HOST_MAX], portstr[16];
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, port, one = 1, rc;

	if (httpd_split_hostport(spec, host, sizeof(host), &port, err) < 0)
		return -1;
	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		mm_errf(err, MM_E_NET, "cannot resolve listen address '%s': %s", spec,
			gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    res->ai_protocol);
	if (fd < 0) {
		mm_errf(err, MM_E_NET, "cannot create socket for '%s': %s", spec, strerror(errno));
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
		mm_errf(err, MM_E_NET, "cannot bind '%s': %s", spec, strerror(errno));
		goto fail;
	}
	if (listen(fd, 511) < 0) {
		mm_errf(err, MM_E_NET, "cannot listen on '%s': %s", spec, strerror(errno));
		goto fail;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		mm_errf(err, MM_E_NET, "cannot read bound address of '%s': %s", spec,
			strerror(errno));
		goto fail;
	}
	if (ss.ss_family == AF_INET6)
		*bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		*bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	freeaddrinfo(res);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return -1;
}

static void
httpd_free(struct httpd *h)
{
	pthread_mutex_destroy(&h->cmu);
	pthread_cond_destroy(&h->ccv);
	free(h);
}

struct httpd *
httpd_start(const struct httpd_config *cfg, struct mm_err *err)
{
	static const unsigned pool_modes[] = {MHD_USE_EPOLL, MHD_USE_POLL};
	/* MHD has no epoll with a thread per connection: poll, else select */
	static const unsigned tpc_modes[] = {MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL,
					     MHD_USE_THREAD_PER_CONNECTION};
	const unsigned *modes = cfg->thread_per_connection ? tpc_modes : pool_modes;
	struct httpd *h;
	size_t i;
	int fd;

	if (!cfg->handler) {
		mm_errf(err, MM_E_USAGE, "httpd: no handler");
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->cfg = *cfg;
	pthread_mutex_init(&h->cmu, NULL);
	pthread_cond_init(&h->ccv, NULL);
	if (!h->cfg.max_body)
		h->cfg.max_body = HTTPD_DEFAULT_MAX_BODY;
	if (!h->cfg.conn_limit)
		h->cfg.conn_limit = HTTPD_DEFAULT_CONN_LIMIT;
	if (!h->cfg.timeout_sec)
		h->cfg.timeout_sec = HTTPD_DEFAULT_TIMEOUT_SEC;
	if (!h->cfg.threads)
		h->cfg.threads = 1;
	if ((fd = bind_listen(cfg->listen ? cfg->listen : ":0", &h->port, err)) < 0) {
		httpd_free(h);
		return NULL;
	}
	if (h->cfg.thread_per_connection)
		h->cfg.threads = 1;
	for (i = 0; i < 2 && !h->mhd; i++) {
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | modes[i];

		h->mhd = MHD_start_daemon(
		    flags, 0, NULL, NULL, access_cb, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger,
		    (void *)NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)h->cfg.conn_limit,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)h->cfg.timeout_sec,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)h->cfg.per_ip_limit,
		    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, (void *)h,
		    MHD_OPTION_NOTIFY_CONNECTION, notify_conn_cb, (void *)h,
		    /* A pool only when asked for: MHD warns about a size of 0 or 1. */
		    h->cfg.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
		    (unsigned)h->cfg.threads, MHD_OPTION_END);
	}
	if (!h->mhd) {
		mm_errf(err, MM_E_NET, "cannot start the HTTP server on '%s'",
			cfg->listen ? cfg->listen : ":0");
		close(fd);
		httpd_free(h);
		return NULL;
	}
	if (h->cfg.request_timeout_sec) {
		if (pthread_create(&h->reaper, NULL, reaper_main, h) != 0) {
			mm_errf(err, MM_E_RUNTIME, "cannot start the HTTP reaper thread");
			httpd_stop(h);
			return NULL;
		}
		h->reaper_started = 1;
	}
	return h;
}

int
httpd_port(const struct httpd *h)
{
	return h ? h->port : -1;
}

void
httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	if (h->reaper_started) {
		pthread_mutex_lock(&h->cmu);
		h->stopping = 1;
		pthread_cond_signal(&h->ccv);
		pthread_mutex_unlock(&h->cmu);
		pthread_join(h->reaper, NULL);
	}
	/* MHD_stop_daemon closes the listening socket it was given. */
	MHD_stop_daemon(h->mhd);
	httpd_free(h);
}
