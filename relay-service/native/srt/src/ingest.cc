// SRT ingest core.
//
// Design notes
// ============
// Threads:
//  * libsrt's receive thread of the listening port runs srt_listen_callback
//    (OnHandshake). It is the same thread that receives the UDP packets of
//    EVERY connection accepted on this port (they share one multiplexer).
//  * Our I/O thread (Run) owns everything else: srt_epoll_uwait, srt_accept,
//    srt_recvmsg2, srt_close, stats. The JS thread never calls into libsrt,
//    so it can never block on a libsrt lock that the listen callback holds
//    while that callback waits for JS (a deadlock we would otherwise risk:
//    closing the listener takes a lock the callback runs under).
//
// Listen-callback decision: the callback must answer before it returns
// (libsrt has no way to defer a handshake), and the auth logic lives in JS.
// So the callback posts the request to the JS thread through a thread-safe
// function and waits for the answer with a short timeout (authTimeoutMs,
// default 1 s -> reject with SRT_REJX_OVERLOAD). Alternatives considered:
//  * accept everything, authorize after srt_accept: cannot send a reject
//    reason and cannot set a per-connection passphrase -> not acceptable;
//  * push a policy table from JS into native: would move auth logic out of
//    JS and cannot express an arbitrary authorize() function.
// Cost of waiting: while the callback waits, the port's receive thread is
// parked, so other connections' packets queue in the UDP socket buffer. On a
// healthy event loop the round trip is well under a millisecond; the timeout
// bounds the worst case, and SRT's ARQ recovers what the kernel dropped
// within the latency window. The authorization TSFN is separate from the data
// TSFN so a request never queues behind payload batches. Handshake repeats
// from an accepted caller are answered by libsrt from the already-created
// socket and do not call the hook again. Two guards keep a stalled event loop
// from multiplying the damage: after a timeout, further handshakes are
// rejected at once until JS has caught up (otherwise every queued handshake
// repeat would park the thread for another full timeout), and JS skips
// authorize() for requests already given up on, so authorize() never has
// side effects for a caller that was rejected.
//
// Readers (m=request): JS appends MPEG-TS bytes to a connection's queue under
// a mutex (Send); the I/O thread sends them as <= 1316-byte live-mode messages
// with non-blocking srt_sendmsg2, keeping what libsrt's buffer refuses for the
// next turn. While anything was sent in the last second the poll waits 5 ms at
// most, so queued bytes leave within milliseconds. The queue is bounded
// (maxOutBytes); the hub drops a reader long before that.
//
// Data path: payloads are appended per connection into one Batch which is
// handed to JS every ~10 ms (or at 256 KiB), so 20 callers cost ~100 JS
// callbacks/s instead of ~thousands. If JS falls behind by more than
// maxInflightBytes, data is dropped (counted and reported) instead of growing
// memory without bound.
#include "ingest.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <srt/access_control.h>

#include <srt/logging_api.h>
#include <syslog.h>

#include <algorithm>
#include <cstring>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace liverelay {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFlushInterval{10};
constexpr size_t kFlushBytes = 256 * 1024;
constexpr milliseconds kStatsInterval{1000};
constexpr int kMaxEvents = 64;
constexpr int kMaxReadsPerWake = 256;  // fairness between connections
constexpr int kBacklog = 64;
constexpr size_t kPayloadBytes = 1316;  // 7 MPEG-TS packets: the live-mode payload size
constexpr int kMaxSendsPerTurn = 512;
int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(Clock::now().time_since_epoch()).count();
}
constexpr int kMaxStreamIdLen = 512;  // SRT limit
// libsrt sizes each connection's receive loss list by SRTO_FC (default 25600
// packets, ~0.4 MB per connection, allocated at the handshake). 8192 packets
// in flight is ~10 MB, seconds of any live bitrate beyond the latency window,
// and equals the default SRTO_RCVBUF (which may not exceed SRTO_FC).
constexpr int kFlightFlagSize = 8192;
// Freed connections' memory sits in glibc's per-thread arenas (libsrt's
// threads allocate it) and is not returned to the system on its own.
constexpr milliseconds kTrimDelay{3000};

int Reject(SRTSOCKET ns, int code) {
  srt_setrejectreason(ns, code);
  return -1;
}

bool SetInt(SRTSOCKET s, SRT_SOCKOPT opt, int value) {
  return srt_setsockflag(s, opt, &value, sizeof value) == 0;
}

bool SetBool(SRTSOCKET s, SRT_SOCKOPT opt, bool value) {
  return srt_setsockflag(s, opt, &value, sizeof value) == 0;
}

std::string LastSrtError(const std::string& what) {
  int sysErrno = 0;
  srt_getlasterror(&sysErrno);
  std::string msg = what + ": " + srt_getlasterror_str();
  return sysErrno != 0 ? msg + " (" + strerror(sysErrno) + ")" : msg;
}

// Releases the hook-in-flight count on every return path.
class InFlight {
 public:
  explicit InFlight(std::atomic<int>& n) : n_(n) { ++n_; }
  ~InFlight() { --n_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<int>& n_;
};

std::string ReadStreamId(SRTSOCKET s) {
  char buf[kMaxStreamIdLen + 1] = {0};
  int len = sizeof buf;
  if (srt_getsockflag(s, SRTO_STREAMID, buf, &len) != 0) return "";
  return std::string(buf, static_cast<size_t>(std::clamp(len, 0, kMaxStreamIdLen)));
}

// Bounded so that a flood (e.g. UDP garbage) cannot grow memory.
constexpr size_t kMaxQueuedLogLines = 100;
std::mutex gLogMu;
std::vector<std::pair<int, std::string>> gLogLines;
uint64_t gLogSuppressed = 0;

// With the header flags disabled libsrt still prefixes ": " and may append
// blanks; trim so the JS logger gets just the sentence.
std::string TrimLogLine(const char* message) {
  std::string m = message ? message : "";
  const size_t b = m.find_first_not_of(": ");
  const size_t e = m.find_last_not_of(" \r\n");
  return b == std::string::npos ? "" : m.substr(b, e - b + 1);
}

void SrtLogHandler(void*, int level, const char*, int, const char*, const char* message) {
  std::string line = TrimLogLine(message);
  std::lock_guard<std::mutex> lock(gLogMu);
  if (gLogLines.size() >= kMaxQueuedLogLines) {
    gLogSuppressed++;
    return;
  }
  gLogLines.emplace_back(level, std::move(line));
}

}  // namespace

void InstallSrtLogForwarder() {
  srt_setloglevel(LOG_WARNING);
  srt_setlogflags(SRT_LOGF_DISABLE_TIME | SRT_LOGF_DISABLE_THREADNAME |
                  SRT_LOGF_DISABLE_SEVERITY | SRT_LOGF_DISABLE_EOL);
  srt_setloghandler(nullptr, &SrtLogHandler);
}

std::string FormatAddress(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa == nullptr) return "";
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

bool AuthRequest::Claim() {
  std::lock_guard<std::mutex> lock(mu_);
  return !abandoned_;
}

bool AuthRequest::Answered() {
  std::lock_guard<std::mutex> lock(mu_);
  return done_;
}

void AuthRequest::Answer(bool acc, int code, std::string pass) {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_) return;
  accept = acc;
  rejectCode = code;
  passphrase = std::move(pass);
  done_ = true;
  cv_.notify_all();
}

bool AuthRequest::Wait(milliseconds timeout, const std::atomic<bool>& cancel) {
  // Wait in short slices so a server close() does not sit out the timeout.
  const auto deadline = Clock::now() + timeout;
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_ && !cancel && Clock::now() < deadline) {
    cv_.wait_for(lock, milliseconds(50));
  }
  if (!done_) abandoned_ = true;
  return done_;
}

Ingest::Ingest(IngestConfig cfg, BatchSink batches, AuthSink auth, DoneHook done)
    : cfg_(std::move(cfg)),
      batchSink_(std::move(batches)),
      authSink_(std::move(auth)),
      done_(std::move(done)),
      inflight_(std::make_shared<std::atomic<int64_t>>(0)) {}

Ingest::~Ingest() {
  RequestStop();
  Join();
}

int Ingest::Start(std::string* err) {
  if (!OpenListener(err)) return -1;
  sockaddr_storage ss{};
  int len = sizeof ss;
  srt_getsockname(listener_, reinterpret_cast<sockaddr*>(&ss), &len);
  const int port = ntohs(ss.ss_family == AF_INET6
                             ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                             : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  batch_ = std::make_unique<Batch>();
  thread_ = std::thread(&Ingest::Run, this);
  pthread_setname_np(thread_.native_handle(), "srt-ingest-io");  // visible in top -H, /proc
  return port;
}

bool Ingest::OpenListener(std::string* err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* ai = nullptr;
  const std::string port = std::to_string(cfg_.port);
  if (getaddrinfo(cfg_.host.c_str(), port.c_str(), &hints, &ai) != 0 || ai == nullptr) {
    *err = "cannot resolve listen host " + cfg_.host;
    return false;
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(ai, freeaddrinfo);

  listener_ = srt_create_socket();
  // TRANSTYPE first: it resets other options to the live-mode defaults.
  const bool ok =
      listener_ != SRT_INVALID_SOCK && SetInt(listener_, SRTO_TRANSTYPE, SRTT_LIVE) &&
      SetBool(listener_, SRTO_RCVSYN, false) &&  // inherited: non-blocking accept/recv
      SetInt(listener_, SRTO_LATENCY, cfg_.latencyMs) &&
      SetInt(listener_, SRTO_PEERIDLETIMEO, cfg_.peerIdleTimeoutMs) &&
      SetInt(listener_, SRTO_FC, kFlightFlagSize) &&
      (ai->ai_family != AF_INET6 || SetInt(listener_, SRTO_IPV6ONLY, 0)) &&
      srt_bind(listener_, ai->ai_addr, static_cast<int>(ai->ai_addrlen)) == 0 &&
      srt_listen_callback(listener_, &Ingest::HookTrampoline, this) == 0 &&
      srt_listen(listener_, kBacklog) == 0;
  if (ok) {
    eid_ = srt_epoll_create();
    int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
    if (eid_ >= 0 && srt_epoll_add_usock(eid_, listener_, &events) == 0) return true;
  }
  *err = LastSrtError("srt listen on " + cfg_.host + ":" + port);
  if (eid_ >= 0) srt_epoll_release(eid_);
  if (listener_ != SRT_INVALID_SOCK) srt_close(listener_);
  eid_ = -1;
  listener_ = SRT_INVALID_SOCK;
  return false;
}

void Ingest::RequestStop() { stopping_ = true; }

int64_t Ingest::Send(int32_t id, const char* data, size_t len) {
  std::lock_guard<std::mutex> lock(outMu_);
  auto it = out_.find(id);
  if (it == out_.end()) return -1;
  OutQueue& q = it->second;
  const int64_t queued = static_cast<int64_t>(q.data.size() - q.sent);
  if (queued + static_cast<int64_t>(len) > cfg_.maxOutBytes) return -1;
  q.data.append(data, len);
  lastSendMs_ = NowMs();
  return queued + static_cast<int64_t>(len);
}

int64_t Ingest::Queued(int32_t id) {
  std::lock_guard<std::mutex> lock(outMu_);
  auto it = out_.find(id);
  return it == out_.end() ? -1 : static_cast<int64_t>(it->second.data.size() - it->second.sent);
}

void Ingest::SendPending() {
  std::vector<SRTSOCKET> broken;
  {
    std::lock_guard<std::mutex> lock(outMu_);
    for (auto& kv : out_) {
      OutQueue& q = kv.second;
      for (int i = 0; i < kMaxSendsPerTurn && q.sent < q.data.size(); i++) {
        const size_t n = std::min(kPayloadBytes, q.data.size() - q.sent);
        if (srt_sendmsg2(kv.first, q.data.data() + q.sent, static_cast<int>(n), nullptr) == SRT_ERROR) {
          if (srt_getlasterror(nullptr) != SRT_EASYNCSND) broken.push_back(kv.first);
          break;
        }
        q.sent += n;
      }
      if (q.sent == q.data.size()) {
        q.data.clear();
        q.sent = 0;
      } else if (q.sent >= (1 << 20)) {
        q.data.erase(0, q.sent);
        q.sent = 0;
      }
    }
  }
  for (SRTSOCKET s : broken) {
    auto it = conns_.find(s);
    if (it != conns_.end()) Drop(s, BrokenReason(it->second));
  }
}

void Ingest::Join() {
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Ingest::CloseConnection(int32_t id) {
  std::lock_guard<std::mutex> lock(closeMu_);
  closeRequests_.push_back(id);
}

int Ingest::HookTrampoline(void* opaque, SRTSOCKET ns, int /*hsVersion*/,
                           const sockaddr* peer, const char* streamId) {
  // Runs on libsrt's receive thread: no exception may escape into libsrt.
  try {
    return static_cast<Ingest*>(opaque)->OnHandshake(ns, peer, streamId);
  } catch (...) {
    return Reject(ns, SRT_REJX_ISE);
  }
}

int Ingest::OnHandshake(SRTSOCKET ns, const sockaddr* peer, const char* streamId) {
  InFlight guard(hooksInFlight_);  // counted before the stop check: see Shutdown()
  if (stopping_) return Reject(ns, SRT_REJX_DOWN);
  // Without this, every handshake repeat queued during a stall would park the
  // receive thread for another full timeout.
  if (JsStalled()) return Reject(ns, SRT_REJX_OVERLOAD);
  std::string sid = streamId ? std::string(streamId, strnlen(streamId, kMaxStreamIdLen)) : "";
  auto req = std::make_shared<AuthRequest>(std::move(sid), FormatAddress(peer));
  if (!authSink_(req)) return Reject(ns, SRT_REJX_DOWN);
  return Decide(ns, req);
}

bool Ingest::JsStalled() {
  std::lock_guard<std::mutex> lock(stallMu_);
  if (stalled_ && stalled_->Answered()) stalled_.reset();
  return stalled_ != nullptr;
}

int Ingest::Decide(SRTSOCKET ns, const std::shared_ptr<AuthRequest>& req) {
  if (!req->Wait(milliseconds(cfg_.authTimeoutMs), stopping_)) {
    if (stopping_) return Reject(ns, SRT_REJX_DOWN);
    std::lock_guard<std::mutex> lock(stallMu_);
    stalled_ = req;
    return Reject(ns, SRT_REJX_OVERLOAD);
  }
  if (!req->accept) return Reject(ns, req->rejectCode);
  if (!req->passphrase.empty() &&
      srt_setsockflag(ns, SRTO_PASSPHRASE, req->passphrase.data(),
                      static_cast<int>(req->passphrase.size())) != 0) {
    return Reject(ns, SRT_REJX_ISE);
  }
  return 0;
}

void Ingest::Run() {
  lastFlush_ = lastStats_ = lastWarn_ = Clock::now();
  while (!stopping_) {
    ApplyCloseRequests();
    PollOnce();
    SendPending();
    Flush(false);
    if (Clock::now() - lastStats_ >= kStatsInterval) EmitStats();
    WarnDropped();
    DrainSrtLogs();
    TrimMemory();
  }
  Shutdown();
}

void Ingest::PollOnce() {
  SRT_EPOLL_EVENT evs[kMaxEvents];
  // Short waits while a batch is pending so it is flushed on time.
  const bool sending = NowMs() - lastSendMs_ < 1000;
  const int64_t timeoutMs = batch_->events.empty() && !sending ? 100 : 5;
  const int n = srt_epoll_uwait(eid_, evs, kMaxEvents, timeoutMs);
  if (n < 0 && srt_getlasterror(nullptr) != SRT_ETIMEOUT) {
    std::this_thread::sleep_for(milliseconds(10));  // never spin on a persistent error
  }
  for (int i = 0; i < std::min(n, kMaxEvents); i++) {
    if (evs[i].fd != listener_) {
      Drain(evs[i].fd, (evs[i].events & SRT_EPOLL_ERR) != 0);
    } else if (evs[i].events & SRT_EPOLL_ERR) {
      Push({Event::kWarn, 0, "listening socket failed; stopping", "", {}});
      stopping_ = true;
    } else {
      AcceptPending();
    }
  }
}

// One srt_accept per readiness report: the listener stays readable (level
// triggered) while more are queued, and polling an empty queue makes libsrt
// log an error line.
void Ingest::AcceptPending() {
  sockaddr_storage ss{};
  int len = sizeof ss;
  const SRTSOCKET s = srt_accept(listener_, reinterpret_cast<sockaddr*>(&ss), &len);
  if (s == SRT_INVALID_SOCK) return;
  int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  if (srt_epoll_add_usock(eid_, s, &events) != 0) {
    srt_close(s);
    return;
  }
  SetBool(s, SRTO_SNDSYN, false);  // a reader's sends must never block the I/O thread
  conns_[s] = Conn{Clock::now()};
  {
    std::lock_guard<std::mutex> lock(outMu_);
    out_[s] = OutQueue{};
  }
  Push({Event::kAccept, s, ReadStreamId(s), FormatAddress(reinterpret_cast<sockaddr*>(&ss)), {}});
}

void Ingest::Drain(SRTSOCKET s, bool errFlag) {
  auto it = conns_.find(s);
  if (it == conns_.end()) return;
  char buf[1500];  // live-mode payloads are at most 1456 bytes
  for (int i = 0; i < kMaxReadsPerWake; i++) {
    const int n = srt_recvmsg2(s, buf, sizeof buf, nullptr);
    if (n > 0) {
      AppendData(s, it->second, buf, n);
      continue;
    }
    if (n == 0 || srt_getlasterror(nullptr) == SRT_EASYNCRCV) break;
    Drop(s, BrokenReason(it->second));
    return;
  }
  if (errFlag && srt_getsockstate(s) >= SRTS_BROKEN) Drop(s, BrokenReason(it->second));
}

const char* Ingest::BrokenReason(const Conn& c) const {
  // libsrt reports a peer shutdown and a peer-idle timeout identically (broken
  // socket); a timeout is only possible after peerIdleTimeout of silence.
  const auto silence = Clock::now() - c.lastData;
  return silence >= milliseconds(cfg_.peerIdleTimeoutMs - 500) ? "timeout" : "disconnect";
}

void Ingest::AppendData(SRTSOCKET s, Conn& c, const char* buf, int len) {
  c.lastData = Clock::now();
  if (*inflight_ + static_cast<int64_t>(batch_->bytes) > cfg_.maxInflightBytes) {
    c.dropped += len;
    droppedTotal_ += len;
    return;
  }
  if (c.dataEvent < 0) {
    c.dataEvent = static_cast<int>(batch_->events.size());
    batch_->events.push_back({Event::kData, s, "", "", {}});
  }
  batch_->events[c.dataEvent].text.append(buf, len);
  batch_->bytes += len;
}

void Ingest::Drop(SRTSOCKET s, const char* reason) {
  srt_epoll_remove_usock(eid_, s);
  srt_close(s);
  trimAt_ = Clock::now() + kTrimDelay;  // libsrt frees closed sockets 1-2 s later
  trimDue_ = true;
  conns_.erase(s);
  {
    std::lock_guard<std::mutex> lock(outMu_);
    out_.erase(s);
  }
  Push({Event::kClose, s, reason, "", {}});
}

void Ingest::TrimMemory() {
  if (!trimDue_ || Clock::now() < trimAt_) return;
  trimDue_ = false;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

void Ingest::Push(Event ev) { batch_->events.push_back(std::move(ev)); }

void Ingest::Flush(bool force) {
  if (batch_->events.empty()) return;
  const auto now = Clock::now();
  if (!force && now - lastFlush_ < kFlushInterval && batch_->bytes < kFlushBytes) return;
  *inflight_ += static_cast<int64_t>(batch_->bytes);
  batch_->inflight = inflight_;
  batchSink_(std::move(batch_));  // on failure the batch is freed here
  batch_ = std::make_unique<Batch>();
  for (auto& kv : conns_) kv.second.dataEvent = -1;
  lastFlush_ = now;
}

void Ingest::ApplyCloseRequests() {
  std::vector<int32_t> ids;
  {
    std::lock_guard<std::mutex> lock(closeMu_);
    ids.swap(closeRequests_);
  }
  for (int32_t id : ids) {
    if (conns_.count(id)) Drop(id, "server-close");
  }
}

void Ingest::EmitStats() {
  lastStats_ = Clock::now();
  for (auto& kv : conns_) {
    SRT_TRACEBSTATS perf{};
    if (srt_bstats(kv.first, &perf, 0) != 0) continue;
    Event ev{Event::kStats, kv.first, "", "", {}};
    ev.stats = {perf.pktRcvLossTotal, perf.msRTT, perf.mbpsRecvRate};
    Push(std::move(ev));
  }
}

void Ingest::WarnDropped() {
  const auto now = Clock::now();
  if (droppedTotal_ == droppedReported_ || now - lastWarn_ < milliseconds(1000)) return;
  lastWarn_ = now;
  Push({Event::kWarn, 0,
        "JS consumer too slow: dropped " + std::to_string(droppedTotal_ - droppedReported_) +
            " payload bytes",
        "", {}});
  droppedReported_ = droppedTotal_;
}

void Ingest::DrainSrtLogs() {
  std::vector<std::pair<int, std::string>> lines;
  uint64_t suppressed = 0;
  {
    std::lock_guard<std::mutex> lock(gLogMu);
    if (gLogLines.empty()) return;
    lines.swap(gLogLines);
    std::swap(suppressed, gLogSuppressed);
  }
  for (auto& l : lines) Push({Event::kLog, l.first, std::move(l.second), "", {}});
  if (suppressed > 0) {
    Push({Event::kLog, LOG_WARNING, "libsrt: " + std::to_string(suppressed) + " log lines suppressed", "", {}});
  }
}

void Ingest::Shutdown() {
  for (auto& kv : conns_) {
    srt_epoll_remove_usock(eid_, kv.first);
    srt_close(kv.first);
    Push({Event::kClose, kv.first, "server-close", "", {}});
  }
  conns_.clear();
  {
    std::lock_guard<std::mutex> lock(outMu_);
    out_.clear();
  }
  srt_close(listener_);  // waits for a running listen callback to return
  // A callback that incremented the counter before seeing stopping_ may still
  // be returning; after this loop no callback can reach authSink_ again.
  while (hooksInFlight_ > 0) std::this_thread::sleep_for(milliseconds(1));
  srt_epoll_release(eid_);
  Push({Event::kStopped, 0, "", "", {}});
  Flush(true);
  done_();
}

}  // namespace liverelay
