// SRT caller core: many outgoing live-mode SRT connections (relay destinations)
// driven by one I/O thread. No Node-API here; addon.cc plugs in the event sink.
// Design notes at the top of caller.cc.
#pragma once

#include <srt/srt.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace liverelay {

struct CallerOptions {
  std::string address;  // numeric IPv4/IPv6 address: JS resolves names (never on this thread)
  int port = 0;
  std::string streamId;
  std::string passphrase;  // empty: no encryption
  int pbkeylen = 0;        // 0: libsrt's default (16)
  int latencyMs = 120;
  int connectTimeoutMs = 3000;
  int peerIdleTimeoutMs = 5000;
  int64_t maxQueueBytes = 8 << 20;
};

struct CallerEvent {
  enum Kind : uint8_t { kConnected, kStats, kClosed };
  Kind kind = kStats;
  int32_t id = 0;
  // kStats (cumulative)
  int64_t bytesSubmitted = 0;  // handed to libsrt
  int64_t bytesUnacked = 0;    // in libsrt's send buffer, not yet acknowledged
  int64_t bytesDropped = 0;    // dropped by libsrt as too late
  int64_t queuedBytes = 0;     // waiting in our queue
  double rttMs = 0;
  double mbpsSendRate = 0;
  // kClosed
  std::string reason;       // rejected | broken | finished | closed | overflow | error
  int rejectReason = 0;     // srt_getrejectreason() for "rejected"
  std::string message;      // libsrt's wording (never holds a passphrase)
  int64_t msSinceHeard = 0; // "broken": time since the peer last acknowledged anything
};

struct CallerBatch {
  std::vector<CallerEvent> events;
};

class CallerPool {
 public:
  using BatchSink = std::function<bool(std::unique_ptr<CallerBatch>)>;

  explicit CallerPool(BatchSink sink);
  ~CallerPool();
  CallerPool(const CallerPool&) = delete;
  CallerPool& operator=(const CallerPool&) = delete;

  // All of these are called from the JS thread and only touch queues; the
  // I/O thread does every libsrt call.
  int32_t Connect(CallerOptions opts);
  // Queues `len` bytes. Returns the bytes now queued, or -1 when the
  // connection is gone or its queue is over maxQueueBytes (nothing queued).
  int64_t Send(int32_t id, const char* data, size_t len);
  int64_t Queued(int32_t id);
  // Sends what is queued, waits (bounded) for it to be acknowledged, closes.
  void Finish(int32_t id);
  // Closes at once; a kClosed "closed" event follows.
  void Close(int32_t id);
  // Stops the I/O thread, closing every connection (env teardown).
  void Shutdown();

 private:
  using Clock = std::chrono::steady_clock;
  enum class State : uint8_t { kNew, kConnecting, kConnected };

  struct Conn {
    explicit Conn(int32_t i, CallerOptions o) : id(i), opts(std::move(o)) {}
    const int32_t id;
    const CallerOptions opts;
    // Shared with the JS thread.
    std::mutex mu;
    std::deque<std::string> queue;
    std::atomic<int64_t> queuedBytes{0};  // queue + carry
    std::atomic<bool> finishRequested{false};
    std::atomic<bool> closeRequested{false};
    // I/O thread only.
    SRTSOCKET sock = SRT_INVALID_SOCK;
    State state = State::kNew;
    std::string carry;  // bytes taken from the queue, not yet in libsrt
    Clock::time_point carrySince;
    bool watchingOut = false;
    int64_t submitted = 0;
    int64_t lastAcks = -1;
    Clock::time_point lastHeard;
    Clock::time_point finishDeadline;
    bool finishing = false;
    bool removed = false;
  };
  using ConnPtr = std::shared_ptr<Conn>;

  ConnPtr Find(int32_t id);
  void EnsureThread();
  void Run();
  void AdoptNew();
  void Open(const ConnPtr& c);
  bool BindShared(SRTSOCKET s, int family);
  void PollOnce();
  void OnReady(const ConnPtr& c, int events);
  void Pump(const ConnPtr& c);
  bool SendPayload(const ConnPtr& c, const char* data, int len);
  void WatchOut(const ConnPtr& c, bool on);
  void CheckFinishing(const ConnPtr& c);
  void EmitStats();
  void Fail(const ConnPtr& c, const char* reason, std::string message);
  void Remove(const ConnPtr& c, CallerEvent ev);
  void Flush();

  const BatchSink sink_;
  std::mutex mu_;  // guards conns_, pending_, nextId_, thread start
  std::condition_variable cv_;
  std::unordered_map<int32_t, ConnPtr> conns_;
  std::vector<ConnPtr> pending_;  // connected by the I/O thread on its next turn
  int32_t nextId_ = 1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  // I/O thread only.
  int eid_ = -1;
  std::unordered_map<SRTSOCKET, ConnPtr> bySocket_;
  uint16_t sharedPort4_ = 0, sharedPort6_ = 0;
  std::unique_ptr<CallerBatch> batch_;
  Clock::time_point lastStats_, lastFlush_;
};

}  // namespace liverelay
