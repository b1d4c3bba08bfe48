/*
 * junit.c - JUnit XML through libxml2: the counting reader (an
 * xmlTextReader walk that keeps a stack of open suites) and the writer (an
 * xmlTextWriter into memory, every piece of text cleaned to what XML 1.0
 * allows first, since the writer escapes markup but not forbidden
 * characters or bad UTF-8).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>

#include "junit.h"
#include "xalloc.h"

static long
sat_add(long a, long b)
{
	return a > JUNIT_MAX_COUNT - b ? JUNIT_MAX_COUNT : a + b;
}

void
junit_counts_add(struct junit_counts *out, const struct junit_counts *in)
{
	out->suites = sat_add(out->suites, in->suites);
	out->tests = sat_add(out->tests, in->tests);
	out->failures = sat_add(out->failures, in->failures);
	out->errors = sat_add(out->errors, in->errors);
	out->skipped = sat_add(out->skipped, in->skipped);
	out->from_attributes |= in->from_attributes;
}

/* ---- reading ---------------------------------------------------------- */

struct xml_error {
	int set;
	int line, col;
	char msg[256];
};

#if LIBXML_VERSION >= 21200
static void
on_xml_error(void *ctx, const xmlError *e)
#else
static void
on_xml_error(void *ctx, xmlErrorPtr e)
#endif
{
	struct xml_error *xe = ctx;
	size_t n;

	if (xe->set || !e || e->level < XML_ERR_ERROR)
		return;
	xe->set = 1;
	xe->line = e->line;
	xe->col = e->int2;
	snprintf(xe->msg, sizeof(xe->msg), "%s", e->message ? e->message : "malformed XML");
	n = strlen(xe->msg);
	while (n && (xe->msg[n - 1] == '\n' || xe->msg[n - 1] == ' '))
		xe->msg[--n] = '\0';
}

struct junit_frame {
	int depth;
	int has_attrs, has_child_suite;
	long tc, tc_fail, tc_err, tc_skip;   /* from the <testcase> children */
	long a_tests, a_fail, a_err, a_skip; /* from the attributes */
};

enum { CASE_FAIL = 1, CASE_ERR = 2, CASE_SKIP = 4 };

/* Read a count attribute: 0 absent (*v = 0), 1 read, -1 malformed. */
static int
count_attr(xmlTextReaderPtr r, const char *attr, long *v)
{
	xmlChar *s = xmlTextReaderGetAttribute(r, (const xmlChar *)attr);
	const char *p;
	char *end;
	long x;
	int ret = -1;

	*v = 0;
	if (!s)
		return 0;
	p = (const char *)s;
	while (*p == ' ' || *p == '\t')
		p++;
	errno = 0;
	x = strtol(p, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end != p && !*end && !errno && x >= 0 && x <= JUNIT_MAX_COUNT) {
		*v = x;
		ret = 1;
	}
	xmlFree(s);
	return ret;
}

static int
suite_attrs(xmlTextReaderPtr r, struct junit_frame *f, const char *name, struct mm_err *err)
{
	static const char *const attrs[] = {"tests", "failures", "errors", "skipped"};
	long *dst[] = {&f->a_tests, &f->a_fail, &f->a_err, &f->a_skip};
	size_t i;
	int got;

	for (i = 0; i < 4; i++) {
		if ((got = count_attr(r, attrs[i], dst[i])) < 0)
			return mm_errf_at(err, MM_E_PARSE, name,
					  (unsigned long)xmlTextReaderGetParserLineNumber(r),
					  (unsigned long)xmlTextReaderGetParserColumnNumber(r),
					  "attribute '%s' of <%s> is not a count", attrs[i],
					  (const char *)xmlTextReaderConstLocalName(r));
		if (got)
			f->has_attrs = 1;
	}
	return 0;
}

static void
add_case(struct junit_counts *out, struct junit_frame *f, int flags)
{
	long *tc = f ? &f->tc : &out->tests;
	long *fail = f ? &f->tc_fail : &out->failures;
	long *er = f ? &f->tc_err : &out->errors;
	long *skip = f ? &f->tc_skip : &out->skipped;

	*tc = sat_add(*tc, 1);
	if (flags & CASE_ERR)
		*er = sat_add(*er, 1);
	else if (flags & CASE_FAIL)
		*fail = sat_add(*fail, 1);
	else if (flags & CASE_SKIP)
		*skip = sat_add(*skip, 1);
}

static long
lmax(long a, long b)
{
	return a > b ? a : b;
}

/* A suite is closed: add what it shows to the totals. */
static void
close_suite(struct junit_counts *out, const struct junit_frame *f)
{
	out->suites = sat_add(out->suites, 1);
	if (f->tc > 0 || f->has_child_suite) {
		/*
		 * Trust the test cases; but a suite whose attributes claim more
		 * failures than its cases show is counted at its word.  A parent of
		 * other suites aggregates them in its attributes, so only leaves do.
		 */
		int leaf = !f->has_child_suite;

		out->tests = sat_add(out->tests, f->tc);
		out->failures =
		    sat_add(out->failures, leaf ? lmax(f->tc_fail, f->a_fail) : f->tc_fail);
		out->errors = sat_add(out->errors, leaf ? lmax(f->tc_err, f->a_err) : f->tc_err);
		out->skipped =
		    sat_add(out->skipped, leaf ? lmax(f->tc_skip, f->a_skip) : f->tc_skip);
		return;
	}
	if (f->has_attrs) {
		out->tests = sat_add(out->tests, f->a_tests);
		out->failures = sat_add(out->failures, f->a_fail);
		out->errors = sat_add(out->errors, f->a_err);
		out->skipped = sat_add(out->skipped, f->a_skip);
		out->from_attributes = 1;
	}
}

int
junit_count(const char *data, size_t len, const char *name, struct junit_counts *out,
	    struct mm_err *err)
{
	struct junit_frame *stack = NULL, root_attrs = {0};
	struct junit_counts c = {0};
	struct xml_error xe = {0};
	xmlTextReaderPtr r = NULL;
	xmlStructuredErrorFunc old_fn;
	void *old_ctx;
	size_t nstack = 0;
	int in_case = 0, case_depth = 0, case_flags = 0, root_seen = 0, root_is_suites = 0;
	int rc, ret = -1;

	if (len > INT_MAX)
		return mm_errf(err, MM_E_LIMIT, "'%s' is too large for the XML parser", name);
	xmlInitParser();
	/*
	 * Some errors (encoding, I/O) are raised without a parser context and
	 * would go to libxml2's default handler, which prints: catch them all
	 * for the length of this call (the handler is per thread).
	 */
	old_fn = xmlStructuredError;
	old_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&xe, on_xml_error);
	/* No network, no DTD loading, no entity substitution: the file is data. */
	r = xmlReaderForMemory(data, (int)len, NULL, NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!r) {
		mm_errf_at(err, MM_E_PARSE, name, 1, 1, "not XML");
		goto out;
	}
	xmlTextReaderSetStructuredErrorHandler(r, on_xml_error, &xe);
	stack = xcalloc(JUNIT_MAX_DEPTH, sizeof(*stack));
	while ((rc = xmlTextReaderRead(r)) == 1) {
		int type = xmlTextReaderNodeType(r);
		int depth = xmlTextReaderDepth(r);
		const char *local = (const char *)xmlTextReaderConstLocalName(r);
		struct junit_frame *top = nstack ? &stack[nstack - 1] : NULL;

		if (!local)
			continue;
		if (type == XML_READER_TYPE_ELEMENT) {
			int empty = xmlTextReaderIsEmptyElement(r);

			if (depth == 0) {
				root_seen = 1;
				root_is_suites = strcmp(local, "testsuites") == 0;
				if (!root_is_suites && strcmp(local, "testsuite") != 0) {
					mm_errf_at(
					    err, MM_E_PARSE, name,
					    (unsigned long)xmlTextReaderGetParserLineNumber(r), 1,
					    "root element is <%.64s>, not <testsuites> or "
					    "<testsuite>",
					    local);
					goto out;
				}
				if (root_is_suites && suite_attrs(r, &root_attrs, name, err) < 0)
					goto out;
			}
			if (in_case) {
				if (depth == case_depth + 1) {
					if (strcmp(local, "failure") == 0)
						case_flags |= CASE_FAIL;
					else if (strcmp(local, "error") == 0)
						case_flags |= CASE_ERR;
					else if (strcmp(local, "skipped") == 0)
						case_flags |= CASE_SKIP;
				}
			} else if (strcmp(local, "testsuite") == 0) {
				struct junit_frame *f;

				if (nstack >= JUNIT_MAX_DEPTH) {
					mm_errf_at(
					    err, MM_E_LIMIT, name,
					    (unsigned long)xmlTextReaderGetParserLineNumber(r), 1,
					    "<testsuite> nested deeper than %d", JUNIT_MAX_DEPTH);
					goto out;
				}
				if (top)
					top->has_child_suite = 1;
				f = &stack[nstack++];
				memset(f, 0, sizeof(*f));
				f->depth = depth;
				if (suite_attrs(r, f, name, err) < 0)
					goto out;
				if (empty)
					close_suite(&c, &stack[--nstack]);
			} else if (strcmp(local, "testcase") == 0) {
				in_case = 1;
				case_depth = depth;
				case_flags = 0;
				if (empty) {
					add_case(&c, top, 0);
					in_case = 0;
				}
			}
		} else if (type == XML_READER_TYPE_END_ELEMENT) {
			if (in_case) {
				if (depth == case_depth) {
					add_case(&c, top, case_flags);
					in_case = 0;
				}
			} else if (top && depth == top->depth && strcmp(local, "testsuite") == 0) {
				close_suite(&c, top);
				nstack--;
			}
		}
	}
	if (rc < 0 || xe.set) {
		if (xe.set)
			mm_errf_at(err, MM_E_PARSE, name, xe.line > 0 ? (unsigned long)xe.line : 1,
				   xe.col > 0 ? (unsigned long)xe.col : 1, "%s", xe.msg);
		else
			mm_errf_at(err, MM_E_PARSE, name, 1, 1, "malformed XML");
		goto out;
	}
	if (!root_seen) {
		mm_errf_at(err, MM_E_PARSE, name, 1, 1, "no root element");
		goto out;
	}
	/* A bare <testsuites tests=...> with neither suites nor cases speaks for itself. */
	if (c.suites == 0 && c.tests == 0 && root_attrs.has_attrs) {
		c.tests = root_attrs.a_tests;
		c.failures = root_attrs.a_fail;
		c.errors = root_attrs.a_err;
		c.skipped = root_attrs.a_skip;
		c.from_attributes = 1;
	}
	out->suites = sat_add(out->suites, c.suites);
	out->tests = sat_add(out->tests, c.tests);
	out->failures = sat_add(out->failures, c.failures);
	out->errors = sat_add(out->errors, c.errors);
	out->skipped = sat_add(out->skipped, c.skipped);
	out->from_attributes |= c.from_attributes;
	ret = 0;
out:
	free(stack);
	xmlFreeTextReader(r);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	return ret;
}

/* ---- writing ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (of n bytes), its code point in *cp; 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t len, i;
	unsigned long c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0; /* overlong or out of range */
	*cp = c;
	return len;
}

/* Is cp a Char of XML 1.0 (section 2.2)? */
static int
xml_char(unsigned long cp)
{
	return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
	       (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/* s cleaned into b (reset first): forbidden characters dropped, bad UTF-8 as U+FFFD. */
static const xmlChar *
clean(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), k;
	unsigned long cp;

	buf_reset(b);
	while (n) {
		if ((k = utf8_seq(p, n, &cp)) == 0) {
			buf_adds(b, "\xef\xbf\xbd");
			p++;
			n--;
			continue;
		}
		if (xml_char(cp))
			buf_add(b, p, k);
		p += k;
		n -= k;
	}
	buf_addc(b, '\0');
	b->len--;
	return (const xmlChar *)b->data;
}

struct wctx {
	xmlTextWriterPtr w;
	struct buf tmp;
	int bad;
};

static void
attr(struct wctx *x, const char *name, const char *value)
{
	if (xmlTextWriterWriteAttribute(x->w, (const xmlChar *)name, clean(&x->tmp, value)) < 0)
		x->bad = 1;
}

static void
attr_long(struct wctx *x, const char *name, long v)
{
	char s[32];

	snprintf(s, sizeof(s), "%ld", v);
	attr(x, name, s);
}

static void
attr_time(struct wctx *x, double t)
{
	char s[32];

	snprintf(s, sizeof(s), "%.3f", isfinite(t) && t > 0 ? t : 0.0);
	attr(x, "time", s);
}

static void
start(struct wctx *x, const char *el)
{
	if (xmlTextWriterStartElement(x->w, (const xmlChar *)el) < 0)
		x->bad = 1;
}

static void
end(struct wctx *x)
{
	if (xmlTextWriterEndElement(x->w) < 0)
		x->bad = 1;
}

static void
text(struct wctx *x, const char *s)
{
	if (xmlTextWriterWriteString(x->w, clean(&x->tmp, s)) < 0)
		x->bad = 1;
}

static void
count_cases(const struct junit_suite *s, long c[4])
{
	size_t i;

	for (i = 0; i < s->ncases; i++)
		c[s->cases[i].outcome]++;
}

static void
write_suite(struct wctx *x, const struct junit_suite *s)
{
	static const char *const el[] = {NULL, "failure", "error", "skipped"};
	long c[4] = {0, 0, 0, 0};
	size_t i;

	count_cases(s, c);
	start(x, "testsuite");
	attr(x, "name", s->name);
	attr_long(x, "tests", (long)s->ncases);
	attr_long(x, "failures", c[JUNIT_FAILURE]);
	attr_long(x, "errors", c[JUNIT_ERROR]);
	attr_long(x, "skipped", c[JUNIT_SKIPPED]);
	attr_time(x, s->time);
	if (s->timestamp)
		attr(x, "timestamp", s->timestamp);
	if (s->nprops) {
		start(x, "properties");
		for (i = 0; i < s->nprops; i++) {
			start(x, "property");
			attr(x, "name", s->props[i].name);
			attr(x, "value", s->props[i].value);
			end(x);
		}
		end(x);
	}
	for (i = 0; i < s->ncases; i++) {
		const struct junit_case *k = &s->cases[i];

		start(x, "testcase");
		attr(x, "classname", k->classname);
		attr(x, "name", k->name);
		attr_time(x, k->time);
		if (k->outcome == JUNIT_PASS) {
			if (k->text) {
				start(x, "system-out");
				text(x, k->text);
				end(x);
			}
		} else {
			start(x, el[k->outcome]);
			if (k->type)
				attr(x, "type", k->type);
			if (k->message)
				attr(x, "message", k->message);
			if (k->text)
				text(x, k->text);
			end(x);
		}
		end(x);
	}
	end(x);
}

int
junit_write(const char *name, const struct junit_suite *suites, size_t nsuites, struct buf *out,
	    struct mm_err *err)
{
	struct wctx x = {NULL, BUF_INIT((size_t)1 << 30), 0};
	xmlBufferPtr xb;
	long tot[4] = {0, 0, 0, 0}, tests = 0;
	double time = 0;
	size_t i;
	int ret = -1;

	xmlInitParser();
	if (!(xb = xmlBufferCreate()) || !(x.w = xmlNewTextWriterMemory(xb, 0))) {
		if (xb)
			xmlBufferFree(xb);
		return mm_errf(err, MM_E_RUNTIME, "cannot start the XML writer");
	}
	xmlTextWriterSetIndent(x.w, 1);
	xmlTextWriterSetIndentString(x.w, (const xmlChar *)"  ");
	for (i = 0; i < nsuites; i++) {
		count_cases(&suites[i], tot);
		tests += (long)suites[i].ncases;
		if (isfinite(suites[i].time) && suites[i].time > 0)
			time += suites[i].time;
	}
	if (xmlTextWriterStartDocument(x.w, "1.0", "UTF-8", NULL) < 0)
		x.bad = 1;
	start(&x, "testsuites");
	attr(&x, "name", name);
	attr_long(&x, "tests", tests);
	attr_long(&x, "failures", tot[JUNIT_FAILURE]);
	attr_long(&x, "errors", tot[JUNIT_ERROR]);
	attr_long(&x, "skipped", tot[JUNIT_SKIPPED]);
	attr_time(&x, time);
	for (i = 0; i < nsuites; i++)
		write_suite(&x, &suites[i]);
	if (xmlTextWriterEndDocument(x.w) < 0)
		x.bad = 1;
	xmlFreeTextWriter(x.w); /* flushes into xb */
	if (x.bad || buf_failed(&x.tmp)) {
		mm_errf(err, MM_E_RUNTIME, "the XML writer failed");
	} else if (buf_add(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb)) < 0) {
		mm_errf(err, MM_E_LIMIT, "JUnit XML larger than %zu bytes", out->cap);
	} else {
		ret = 0;
	}
	xmlBufferFree(xb);
	buf_release(&x.tmp);
	return ret;
}
