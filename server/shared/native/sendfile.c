// sendfile(2) from a file to a TCP socket that Node owns, for FsObjectStorage.sendTo
// (src/storage/sendfile.ts). The kernel hands the file's pages to the socket: no read into a buffer
// and no write out of it, which is what copying through JavaScript costs (ops/bench/range.ts).
//
// start(socketFd, fileFd, offset, length, callback) -> job; cancel(job); rounds() -> { loop, pool }.
// - The socket is a dup of Node's, so Node's own watcher on it is left alone; a uv_poll on the dup
//   says when the socket can take more. The dup is closed when the job ends, so a job never keeps
//   a connection Node has closed open for longer than one round of the thread pool.
// - A round sends until the socket is full (EAGAIN), the range is sent, or ROUND_BYTES went. When
//   the round's bytes are all in the page cache (resident(), below), it runs on the event loop, as
//   nginx's sendfile does: no disk to wait for, and no hop to a thread and back. (Every round on the
//   pool cost a plain server of ops/bench/range.ts's reads 1.8-2.3 s of CPU per 10 s against
//   1.2-2.2 s on the loop, and its p99 was 241-433 ms against 131-308 ms: 4 alternating rounds.)
//   Otherwise it runs on libuv's thread pool, where Node's own fs reads wait for the disk, never on
//   the event loop; ROUND_BYTES keeps a fast reader of a large file from holding a pool thread from
//   the other reads.
// - callback(error, sent) is called once, on the event loop: error is null when every byte was
//   sent, or carries the errno's code (EPIPE, ECONNRESET, ...); "ENODATA" when the file ended
//   before the range; "ECANCELED" after cancel().
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ROUND_BYTES (8 * 1024 * 1024)

typedef struct {
  uv_poll_t poll;
  uv_work_t work;
  int socket;         // the dup, owned
  int file;           // the caller's, kept open by the caller until the callback
  off_t offset;
  uint64_t left;
  uint64_t sent;
  int error;          // errno of the failure, 0 while none
  int full;           // the last round stopped at EAGAIN
  int working;        // a round is on the thread pool
  int cancelled;
  int ending;         // the poll handle is closing: the callback is on its way
  int refs;           // the poll handle and the JS object that holds the job
  napi_env env;
  napi_ref callback;
  napi_async_context context;
} job_t;

static void release(job_t *job) {
  if (--job->refs == 0) free(job);
}

static void closed(uv_handle_t *handle) {
  job_t *job = (job_t *)handle->data;
  napi_env env = job->env;
  close(job->socket);
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, recv, argv[2], result;
  napi_get_reference_value(env, job->callback, &callback);
  napi_get_global(env, &recv);  // napi_make_callback wants an object as `this`
  int error = job->error ? job->error : job->cancelled && job->left > 0 ? ECANCELED : 0;
  if (error) {
    napi_value code, message;
    // libuv's error codes are the negated errno values on Unix: uv_err_name gives "EPIPE" and the like.
    napi_create_string_utf8(env, uv_err_name(-error), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(error), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &argv[0]);
  } else {
    napi_get_null(env, &argv[0]);
  }
  napi_create_double(env, (double)job->sent, &argv[1]);
  napi_delete_reference(env, job->callback);
  napi_make_callback(env, job->context, recv, callback, 2, argv, &result);
  napi_async_destroy(env, job->context);
  napi_close_handle_scope(env, scope);
  release(job);
}

static void end(job_t *job) {
  if (job->ending) return;
  job->ending = 1;
  uv_poll_stop(&job->poll);
  uv_close((uv_handle_t *)&job->poll, closed);
}

// One round: on the thread pool, or on the event loop when its bytes are in the page cache.
static void round_work(uv_work_t *work) {
  job_t *job = (job_t *)work->data;
  uint64_t budget = ROUND_BYTES;
  job->full = 0;
  while (job->left > 0 && budget > 0) {
    size_t want = job->left < budget ? (size_t)job->left : (size_t)budget;
    ssize_t n = sendfile(job->socket, job->file, &job->offset, want);
    if (n > 0) {
      job->left -= (uint64_t)n;
      job->sent += (uint64_t)n;
      budget -= (uint64_t)n;
    } else if (n == 0) {
      job->error = ENODATA;  // the file ended before the range did (truncated under its reader)
      return;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN) {
      job->full = 1;
      return;
    } else {
      job->error = errno;
      return;
    }
  }
}

// Whether the next round's bytes are all in the page cache, so sendfile will not wait for the disk.
// cachestat(2) (Linux 6.5) counts the range's cached pages; before it, mincore on a mapping of the
// range (the mapping itself reads nothing) says it page by page, at about 9% of a plain server's
// CPU in ops/bench/range.ts's reads. (mincore tells the truth about the page cache only to the
// file's owner or a process that may write it, and says "resident" otherwise: the gateway owns the
// files it serves.)
struct cachestat_range_ { uint64_t off, len; };
struct cachestat_ { uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; };
#define CACHESTAT_SYSCALL 451
static int no_cachestat;

static int resident(job_t *job) {
  uint64_t length = job->left < ROUND_BYTES ? job->left : ROUND_BYTES;
  long page = sysconf(_SC_PAGESIZE);
  off_t start = job->offset - job->offset % page;
  size_t span = (size_t)(job->offset - start) + (size_t)length;
  size_t pages = (span + (size_t)page - 1) / (size_t)page;
  if (!no_cachestat) {
    struct cachestat_range_ range = { (uint64_t)start, (uint64_t)span };
    struct cachestat_ stat;
    if (syscall(CACHESTAT_SYSCALL, job->file, &range, &stat, 0) == 0) return stat.nr_cache >= pages;
    if (errno != ENOSYS) return 0;
    no_cachestat = 1;
  }
  void *map = mmap(NULL, span, PROT_READ, MAP_SHARED, job->file, start);
  if (map == MAP_FAILED) return 0;
  unsigned char vec[ROUND_BYTES / 4096 + 2];
  int all = pages <= sizeof(vec) && mincore(map, span, vec) == 0;
  for (size_t i = 0; all && i < pages; i++) all = vec[i] & 1;
  munmap(map, span);
  return all;
}

static void next_round(job_t *job);

static void writable(uv_poll_t *poll, int status, int events) {
  job_t *job = (job_t *)poll->data;
  (void)status;
  (void)events;
  uv_poll_stop(poll);
  // libuv reports a socket's error (EPOLLERR: the client reset the connection) as UV_EBADF. The
  // next round's sendfile says what it really is (ECONNRESET, EPIPE).
  next_round(job);
}

// After a round: done, or wait for the socket to take more. A round that used its whole budget
// waits for the socket too (it is writable, so at once): the other connections get their turn.
static void after_round(job_t *job) {
  if (job->cancelled || job->error || job->left == 0) end(job);
  else if (uv_poll_start(&job->poll, UV_WRITABLE | UV_DISCONNECT, writable) != 0) {
    job->error = EIO;
    end(job);
  }
}

static void round_done(uv_work_t *work, int status) {
  job_t *job = (job_t *)work->data;
  job->working = 0;
  if (status < 0 && !job->error) job->error = EIO;
  after_round(job);
}

// Rounds run so far, on the loop and on the pool (rounds()): what the tests look at.
static double loop_rounds, pool_rounds;

static void next_round(job_t *job) {
  if (job->cancelled) {
    end(job);
    return;
  }
  if (resident(job)) {
    loop_rounds++;
    round_work(&job->work);
    after_round(job);
    return;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(job->env, &loop);
  pool_rounds++;
  job->working = 1;
  if (uv_queue_work(loop, &job->work, round_work, round_done) != 0) {
    job->working = 0;
    job->error = EIO;
    end(job);
  }
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release((job_t *)data);
}

static napi_value throw_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) return throw_type_error(env, "start(socketFd, fileFd, offset, length, callback)");
  int32_t socket_fd, file_fd;
  int64_t offset, length;
  napi_valuetype type;
  napi_typeof(env, argv[4], &type);
  if (napi_get_value_int32(env, argv[0], &socket_fd) != napi_ok || napi_get_value_int32(env, argv[1], &file_fd) != napi_ok ||
      napi_get_value_int64(env, argv[2], &offset) != napi_ok || napi_get_value_int64(env, argv[3], &length) != napi_ok ||
      type != napi_function || socket_fd < 0 || file_fd < 0 || offset < 0 || length < 0)
    return throw_type_error(env, "start(socketFd, fileFd, offset, length, callback): two file descriptors, two byte counts and a function");

  int dup_fd = fcntl(socket_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) {
    napi_throw_error(env, "EBADF", "cannot duplicate the socket's file descriptor");
    return NULL;
  }
  job_t *job = calloc(1, sizeof(job_t));
  if (!job) {
    close(dup_fd);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  if (uv_poll_init(loop, &job->poll, dup_fd) != 0) {
    close(dup_fd);
    free(job);
    napi_throw_error(env, "EBADF", "the file descriptor is not a socket libuv can watch");
    return NULL;
  }
  job->socket = dup_fd;
  job->file = file_fd;
  job->offset = (off_t)offset;
  job->left = (uint64_t)length;
  job->env = env;
  job->refs = 2;
  job->poll.data = job;
  job->work.data = job;
  napi_create_reference(env, argv[4], 1, &job->callback);
  napi_value name, resource, handle;
  napi_create_string_utf8(env, "nebula.sendfile", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);
  napi_async_init(env, resource, name, &job->context);
  napi_create_external(env, job, finalize, NULL, &handle);
  if (job->left == 0) end(job);
  else next_round(job);
  return handle;
}

static napi_value cancel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  job_t *job;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&job) != napi_ok) return throw_type_error(env, "cancel(job)");
  if (job->ending || job->cancelled) return NULL;
  job->cancelled = 1;
  // A round on the thread pool ends the job when it comes back; a job waiting for the socket ends now.
  if (!job->working) end(job);
  return NULL;
}

static napi_value rounds(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, loop, pool;
  napi_create_object(env, &result);
  napi_create_double(env, loop_rounds, &loop);
  napi_create_double(env, pool_rounds, &pool);
  napi_set_named_property(env, result, "loop", loop);
  napi_set_named_property(env, result, "pool", pool);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "start", NAPI_AUTO_LENGTH, start, NULL, &fn);
  napi_set_named_property(env, exports, "start", fn);
  napi_create_function(env, "cancel", NAPI_AUTO_LENGTH, cancel, NULL, &fn);
  napi_set_named_property(env, exports, "cancel", fn);
  napi_create_function(env, "rounds", NAPI_AUTO_LENGTH, rounds, NULL, &fn);
  napi_set_named_property(env, exports, "rounds", fn);
  return exports;
}
