/* baseline.c - the fastest answer libmicrohttpd can give, as the yardstick for assistd.
 *
 * It answers every request, whatever its method or path, with one message object held in
 * memory, sent with the headers assistd sends (content-type and x-request-id), from a daemon
 * configured exactly as assistd's: epoll, an internal thread pool of 2, suspend/resume
 * allowed. It does no routing, parsing, storage or JSON work, so the ratio of assistd's
 * requests per second to this program's is the share of libmicrohttpd's speed we keep.
 *
 *   usage: baseline PORT    listens on 127.0.0.1:PORT until SIGINT or SIGTERM */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <microhttpd.h>

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

/* A thread.message as assistd returns it for a short user message: about 500 bytes. Used
 * when no body file is given; otherwise the file's bytes are served (http_read.sh gives the
 * exact reply of the endpoint it compares against). */
static const char default_body[] =
	"{\"id\":\"msg_Jx4sVb2Q9kLm7Tn3Rw8YzA1c\",\"object\":\"thread.message\","
	"\"created_at\":1718000000,\"assistant_id\":null,"
	"\"thread_id\":\"thread_Hq2Lp6Vd8Ns4Kf1Zc9Xb3Mt7\",\"run_id\":null,\"role\":\"user\","
	"\"content\":[{\"type\":\"text\",\"text\":{\"value\":\"Could you summarise the "
	"attached quarterly report and list the three largest cost increases, as short "
	"bullet points with one line each?\",\"annotations\":[]}}],\"attachments\":[],"
	"\"metadata\":{},\"status\":\"completed\",\"incomplete_details\":null,"
	"\"completed_at\":1718000000,\"incomplete_at\":null}";

static const char *body = default_body;
static size_t body_len = sizeof(default_body) - 1;

static atomic_uint_fast64_t next_request;

/* Discards any request body, then queues the canned reply with a fresh request id. */
static mhd_result answer(void *cls, struct MHD_Connection *conn, const char *url,
			 const char *method, const char *version, const char *upload_data,
			 size_t *upload_data_size, void **con_cls)
{
	static int started;
	struct MHD_Response *res;
	char rid[40];
	mhd_result ret;

	if (*con_cls == NULL) {
		*con_cls = &started;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	snprintf(rid, sizeof(rid), "req_%016llx",
		 (unsigned long long)(atomic_fetch_add(&next_request, 1) + 1) * 0x9E3779B97F4A7C15ull);
	res = MHD_create_response_from_buffer(body_len, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (res == NULL)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", "application/json");
	MHD_add_response_header(res, "x-request-id", rid);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, res);
	MHD_destroy_response(res);
	return ret;
}

static int parse_port(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

/* Reads the whole file into body; the memory lives as long as the process. */
static int load_body(const char *path)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	int rc = -1;

	if (f == NULL)
		return -1;
	if (fstat(fileno(f), &st) != 0 || st.st_size <= 0)
		goto out;
	p = malloc((size_t)st.st_size);
	if (p == NULL || fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
		goto out;
	body = p;
	body_len = (size_t)st.st_size;
	p = NULL;
	rc = 0;
out:
	free(p);
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	sigset_t set;
	int port;
	int sig;

	port = argc == 2 || argc == 3 ? parse_port(argv[1]) : -1;
	if (port < 0) {
		fprintf(stderr, "usage: baseline PORT [BODY_FILE]\n");
		return 2;
	}
	if (argc == 3 && load_body(argv[2]) != 0) {
		fprintf(stderr, "baseline: cannot read %s\n", argv[2]);
		return 2;
	}
	/* Block the stop signals in every thread, the pool included, and wait for them here. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
				     MHD_ALLOW_SUSPEND_RESUME,
			     (uint16_t)port, NULL, NULL, answer, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)2,
			     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "baseline: cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	fprintf(stderr, "baseline: listening on http://127.0.0.1:%d\n", port);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
