// SRT caller core.
//
// Design notes
// ============
// What it is for: pushing a live MPEG-TS stream to SRT listeners (relay
// destinations), many at once, without ever blocking the JS event loop.
//
// Threads: one I/O thread per pool (started on the first Connect) makes every
// libsrt call: socket setup, the non-blocking srt_connect, sends, stats and
// srt_close. The JS thread only appends bytes to a connection's queue under
// its mutex and flips request flags, so a slow libsrt call (binding a new
// multiplexer, a connect, a close) can never stall the event loop. Host names
// are resolved in JS (dns.lookup, on libuv's pool) before Connect: a DNS stall
// here would hold up every other destination's sends.
//
// Connect: SRTO_RCVSYN/SNDSYN off, so srt_connect returns at once and epoll
// reports the outcome: OUT = connected, ERR = failed, with the listener's or
// libsrt's reason from srt_getrejectreason (SRT_REJ_BADSECRET for a wrong
// passphrase, SRT_REJ_TIMEOUT when nothing answered within SRTO_CONNTIMEO).
//
// Sending: bytes are cut into 1316-byte payloads (7 TS packets, the size every
// SRT live receiver expects). A remainder shorter than that waits up to
// kCarryHold for more bytes, then goes out short, so a trickle is not delayed.
// Sends are non-blocking; when libsrt's send buffer is full (SRT_EASYNCSND)
// the socket is watched for OUT until it drains, and meanwhile bytes stay in
// our queue, which JS bounds (the hub drops a reader whose queue passes its
// limit; Send refuses bytes past maxQueueBytes as a backstop). A destination
// that stops acknowledging breaks after SRTO_PEERIDLETIMEO; libsrt's own
// buffer is bounded by SRTO_SNDBUF and its too-late packet drop.
//
// The event loop is woken only with batches of events (connected, stats every
// 500 ms, closed), never per packet.
#include "caller.h"

#include <arpa/inet.h>
#include <pthread.h>

#include <algorithm>
#include <cstring>

namespace liverelay {

namespace {

using std::chrono::milliseconds;

constexpr int kPayloadBytes = 1316;  // 7 x 188
constexpr size_t kCarryMax = 64 * 1024;
constexpr milliseconds kCarryHold{10};
constexpr milliseconds kPollTimeout{5};
constexpr milliseconds kIdleWait{200};
constexpr milliseconds kStatsInterval{500};
constexpr milliseconds kFinishGrace{2000};
constexpr int kMaxEvents = 64;

bool SetInt(SRTSOCKET s, SRT_SOCKOPT opt, int value) {
  return srt_setsockflag(s, opt, &value, sizeof value) == 0;
}

bool SetBool(SRTSOCKET s, SRT_SOCKOPT opt, bool value) {
  return srt_setsockflag(s, opt, &value, sizeof value) == 0;
}

bool SetString(SRTSOCKET s, SRT_SOCKOPT opt, const std::string& value) {
  return value.empty() || srt_setsockflag(s, opt, value.data(), static_cast<int>(value.size())) == 0;
}

// libsrt's error text; it never contains option values such as the passphrase.
std::string LastSrtError(const char* what) {
  return std::string(what) + ": " + srt_getlasterror_str();
}

CallerEvent Closed(int32_t id, const char* reason, std::string message = "") {
  CallerEvent ev;
  ev.kind = CallerEvent::kClosed;
  ev.id = id;
  ev.reason = reason;
  ev.message = std::move(message);
  return ev;
}

bool ToSockaddr(const CallerOptions& o, sockaddr_storage* ss, int* len) {
  std::memset(ss, 0, sizeof *ss);
  auto* in4 = reinterpret_cast<sockaddr_in*>(ss);
  if (inet_pton(AF_INET, o.address.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(o.port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET6, o.address.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(o.port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace

CallerPool::CallerPool(BatchSink sink) : sink_(std::move(sink)) {}

CallerPool::~CallerPool() { Shutdown(); }

int32_t CallerPool::Connect(CallerOptions opts) {
  std::lock_guard<std::mutex> lock(mu_);
  const int32_t id = nextId_++;
  auto c = std::make_shared<Conn>(id, std::move(opts));
  conns_[id] = c;
  pending_.push_back(c);
  EnsureThread();
  cv_.notify_one();
  return id;
}

CallerPool::ConnPtr CallerPool::Find(int32_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second;
}

int64_t CallerPool::Send(int32_t id, const char* data, size_t len) {
  ConnPtr c = Find(id);
  if (!c || c->finishRequested || c->closeRequested) return -1;
  std::lock_guard<std::mutex> lock(c->mu);
  if (c->queuedBytes + static_cast<int64_t>(len) > c->opts.maxQueueBytes) return -1;
  c->queue.emplace_back(data, len);
  return c->queuedBytes += static_cast<int64_t>(len);
}

int64_t CallerPool::Queued(int32_t id) {
  ConnPtr c = Find(id);
  return c ? c->queuedBytes.load() : 0;
}

void CallerPool::Finish(int32_t id) {
  if (ConnPtr c = Find(id)) c->finishRequested = true;
}

void CallerPool::Close(int32_t id) {
  if (ConnPtr c = Find(id)) c->closeRequested = true;
}

void CallerPool::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void CallerPool::EnsureThread() {  // mu_ held
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread(&CallerPool::Run, this);
  pthread_setname_np(thread_.native_handle(), "srt-caller-io");
}

void CallerPool::Run() {
  batch_ = std::make_unique<CallerBatch>();
  eid_ = srt_epoll_create();
  srt_epoll_set(eid_, SRT_EPOLL_ENABLE_EMPTY);  // uwait on no sockets is a sleep, not an error
  lastStats_ = lastFlush_ = Clock::now();
  while (!stopping_) {
    AdoptNew();
    if (bySocket_.empty()) {
      Flush();
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, kIdleWait, [this] { return stopping_ || !pending_.empty(); });
      continue;
    }
    PollOnce();
    std::vector<ConnPtr> conns;
    conns.reserve(bySocket_.size());
    for (auto& kv : bySocket_) conns.push_back(kv.second);
    for (auto& c : conns) {
      if (c->closeRequested) {
        Remove(c, Closed(c->id, "closed"));
        continue;
      }
      if (c->state == State::kConnected) Pump(c);
      if (!c->removed) CheckFinishing(c);
    }
    if (Clock::now() - lastStats_ >= kStatsInterval) EmitStats();
    Flush();
  }
  std::vector<ConnPtr> all;
  for (auto& kv : bySocket_) all.push_back(kv.second);
  for (auto& c : all) Remove(c, Closed(c->id, "closed"));
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : pending_) {
      batch_->events.push_back(Closed(c->id, "closed"));
    }
    pending_.clear();
    conns_.clear();
  }
  Flush();
  srt_epoll_release(eid_);
}

void CallerPool::AdoptNew() {
  std::vector<ConnPtr> fresh;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fresh.swap(pending_);
  }
  for (auto& c : fresh) {
    if (c->closeRequested) {
      Remove(c, Closed(c->id, "closed"));
    } else {
      Open(c);
    }
  }
}

void CallerPool::Open(const ConnPtr& c) {
  const CallerOptions& o = c->opts;
  sockaddr_storage ss;
  int len = 0;
  if (!ToSockaddr(o, &ss, &len)) return Fail(c, "error", "not a numeric IP address");
  c->sock = srt_create_socket();
  if (c->sock == SRT_INVALID_SOCK) return Fail(c, "error", LastSrtError("srt socket"));
  // TRANSTYPE first: it resets the other options to the live-mode defaults.
  const bool ok = SetInt(c->sock, SRTO_TRANSTYPE, SRTT_LIVE) &&
                  SetBool(c->sock, SRTO_RCVSYN, false) && SetBool(c->sock, SRTO_SNDSYN, false) &&
                  SetInt(c->sock, SRTO_LATENCY, o.latencyMs) &&
                  SetInt(c->sock, SRTO_PEERIDLETIMEO, o.peerIdleTimeoutMs) &&
                  SetInt(c->sock, SRTO_CONNTIMEO, o.connectTimeoutMs) &&
                  SetString(c->sock, SRTO_STREAMID, o.streamId) &&
                  SetString(c->sock, SRTO_PASSPHRASE, o.passphrase) &&
                  (o.pbkeylen == 0 || SetInt(c->sock, SRTO_PBKEYLEN, o.pbkeylen));
  if (!ok) return Fail(c, "error", LastSrtError("srt options"));
  if (!BindShared(c->sock, ss.ss_family)) return Fail(c, "error", LastSrtError("srt bind"));
  int events = SRT_EPOLL_OUT | SRT_EPOLL_ERR;
  if (srt_epoll_add_usock(eid_, c->sock, &events) != 0) return Fail(c, "error", LastSrtError("srt epoll"));
  bySocket_[c->sock] = c;
  c->watchingOut = true;
  c->state = State::kConnecting;
  if (srt_connect(c->sock, reinterpret_cast<sockaddr*>(&ss), len) == SRT_ERROR) {
    Fail(c, "error", LastSrtError("srt connect"));
  }
}

// Every caller of an address family binds the same local UDP port, so they share one libsrt
// multiplexer (one send and one receive thread, one UDP socket) instead of a thread pair per
// destination. Listeners tell the callers apart by SRT socket id, as a listener's own accepted
// connections are. When that port cannot be shared (our last caller on it closed and another
// program took it), a fresh one is picked and shared from then on.
bool CallerPool::BindShared(SRTSOCKET s, int family) {
  uint16_t& shared = family == AF_INET6 ? sharedPort6_ : sharedPort4_;
  if (family == AF_INET6 && !SetInt(s, SRTO_IPV6ONLY, 1)) return false;  // required to bind ::
  for (int attempt = 0; attempt < 2; attempt++) {
    sockaddr_storage local{};
    int len;
    if (family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&local);
      in6->sin6_family = AF_INET6;
      in6->sin6_addr = in6addr_any;
      in6->sin6_port = htons(shared);
      len = sizeof(sockaddr_in6);
    } else {
      auto* in4 = reinterpret_cast<sockaddr_in*>(&local);
      in4->sin_family = AF_INET;
      in4->sin_addr.s_addr = htonl(INADDR_ANY);
      in4->sin_port = htons(shared);
      len = sizeof(sockaddr_in);
    }
    if (srt_bind(s, reinterpret_cast<sockaddr*>(&local), len) == 0) {
      if (shared == 0) {
        len = sizeof local;
        srt_getsockname(s, reinterpret_cast<sockaddr*>(&local), &len);
        shared = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
      }
      return true;
    }
    if (shared == 0) return false;
    shared = 0;
  }
  return false;
}

void CallerPool::PollOnce() {
  SRT_EPOLL_EVENT evs[kMaxEvents];
  const int n = srt_epoll_uwait(eid_, evs, kMaxEvents, kPollTimeout.count());
  for (int i = 0; i < std::min(n, kMaxEvents); i++) {
    auto it = bySocket_.find(evs[i].fd);
    if (it != bySocket_.end()) OnReady(it->second, evs[i].events);
  }
}

void CallerPool::OnReady(const ConnPtr& c, int events) {
  const SRT_SOCKSTATUS st = srt_getsockstate(c->sock);
  if (c->state == State::kConnecting) {
    if ((events & SRT_EPOLL_ERR) || st >= SRTS_BROKEN) {
      const int reason = srt_getrejectreason(c->sock);
      CallerEvent ev = Closed(c->id, "rejected", srt_rejectreason_str(reason));
      ev.rejectReason = reason;
      return Remove(c, std::move(ev));
    }
    if ((events & SRT_EPOLL_OUT) && st == SRTS_CONNECTED) {
      c->state = State::kConnected;
      c->lastHeard = Clock::now();
      WatchOut(c, false);
      CallerEvent ev;
      ev.kind = CallerEvent::kConnected;
      ev.id = c->id;
      batch_->events.push_back(std::move(ev));
      Pump(c);
    }
    return;
  }
  if ((events & SRT_EPOLL_ERR) || st >= SRTS_BROKEN) return Fail(c, "broken", "connection broken");
  if (events & SRT_EPOLL_OUT) {
    WatchOut(c, false);
    Pump(c);
  }
}

void CallerPool::Pump(const ConnPtr& c) {
  if (c->watchingOut) return;  // libsrt's buffer is full: wait for OUT
  for (;;) {
    if (c->carry.size() < kPayloadBytes) {
      std::lock_guard<std::mutex> lock(c->mu);
      if (c->carry.empty() && !c->queue.empty()) c->carrySince = Clock::now();
      while (!c->queue.empty() && c->carry.size() < kCarryMax) {
        c->carry += c->queue.front();
        c->queue.pop_front();
      }
    }
    size_t off = 0;
    while (c->carry.size() - off >= kPayloadBytes) {
      if (!SendPayload(c, c->carry.data() + off, kPayloadBytes)) break;
      off += kPayloadBytes;
    }
    if (c->removed) return;
    c->carry.erase(0, off);
    if (c->watchingOut) return;
    if (c->carry.size() >= kPayloadBytes) continue;
    bool queueEmpty;
    {
      std::lock_guard<std::mutex> lock(c->mu);
      queueEmpty = c->queue.empty();
    }
    if (!queueEmpty) continue;
    const bool flushShort = !c->carry.empty() &&
                            (c->finishRequested || Clock::now() - c->carrySince >= kCarryHold);
    if (flushShort && SendPayload(c, c->carry.data(), static_cast<int>(c->carry.size()))) {
      c->carry.clear();
    }
    return;
  }
}

// True when libsrt took the payload. False when its buffer is full (the socket
// is then watched for OUT) or the connection failed (then it is removed).
bool CallerPool::SendPayload(const ConnPtr& c, const char* data, int len) {
  if (srt_sendmsg2(c->sock, data, len, nullptr) != SRT_ERROR) {
    c->submitted += len;
    c->queuedBytes -= len;
    return true;
  }
  if (srt_getlasterror(nullptr) == SRT_EASYNCSND) {
    WatchOut(c, true);
  } else {
    Fail(c, "broken", LastSrtError("srt send"));
  }
  return false;
}

void CallerPool::WatchOut(const ConnPtr& c, bool on) {
  if (c->watchingOut == on) return;
  int events = on ? (SRT_EPOLL_ERR | SRT_EPOLL_OUT) : SRT_EPOLL_ERR;
  srt_epoll_update_usock(eid_, c->sock, &events);
  c->watchingOut = on;
}

void CallerPool::CheckFinishing(const ConnPtr& c) {
  if (!c->finishRequested) return;
  const auto now = Clock::now();
  if (!c->finishing) {
    c->finishing = true;
    c->finishDeadline = now + kFinishGrace;
  }
  bool drained = false;
  if (c->state == State::kConnected && c->queuedBytes == 0) {
    SRT_TRACEBSTATS perf{};
    drained = srt_bstats(c->sock, &perf, 0) != 0 || perf.byteSndBuf == 0;
  }
  if (drained || now >= c->finishDeadline) {
    Remove(c, Closed(c->id, "finished"));
  }
}

void CallerPool::EmitStats() {
  const auto now = Clock::now();
  lastStats_ = now;
  std::vector<ConnPtr> broken;
  for (auto& kv : bySocket_) {
    const ConnPtr& c = kv.second;
    if (c->state != State::kConnected) continue;
    SRT_TRACEBSTATS perf{};
    if (srt_bstats(c->sock, &perf, 0) != 0) continue;
    if (perf.pktRecvACKTotal != c->lastAcks) {
      c->lastAcks = perf.pktRecvACKTotal;
      c->lastHeard = now;
    }
    CallerEvent ev;
    ev.kind = CallerEvent::kStats;
    ev.id = c->id;
    ev.bytesSubmitted = c->submitted;
    ev.bytesUnacked = perf.byteSndBuf;
    ev.bytesDropped = static_cast<int64_t>(perf.byteSndDropTotal);
    ev.queuedBytes = c->queuedBytes.load();
    ev.rttMs = perf.msRTT;
    ev.mbpsSendRate = perf.mbpsSendRate;
    batch_->events.push_back(std::move(ev));
    if (srt_getsockstate(c->sock) >= SRTS_BROKEN) broken.push_back(c);
  }
  for (auto& c : broken) Fail(c, "broken", "connection broken");
}

void CallerPool::Fail(const ConnPtr& c, const char* reason, std::string message) {
  CallerEvent ev = Closed(c->id, reason, std::move(message));
  if (c->state == State::kConnected) {
    ev.msSinceHeard =
        std::chrono::duration_cast<milliseconds>(Clock::now() - c->lastHeard).count();
  }
  Remove(c, std::move(ev));
}

void CallerPool::Remove(const ConnPtr& c, CallerEvent ev) {
  c->removed = true;
  if (c->sock != SRT_INVALID_SOCK) {
    srt_epoll_remove_usock(eid_, c->sock);
    srt_close(c->sock);
    bySocket_.erase(c->sock);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    conns_.erase(c->id);
  }
  batch_->events.push_back(std::move(ev));
}

void CallerPool::Flush() {
  if (batch_->events.empty()) return;
  sink_(std::move(batch_));  // on failure (Node exiting) the batch is freed there
  batch_ = std::make_unique<CallerBatch>();
  lastFlush_ = Clock::now();
}

}  // namespace liverelay
