// SRT ingest core: one listening SRT socket, many callers, no Node-API here.
// The Node-API glue (addon.cc) plugs two sinks into it: one for event
// batches, one for authorization requests. See the design notes in ingest.cc.
#pragma once

#include <srt/srt.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace liverelay {

struct ConnStats {
  int64_t packetsLost = 0;
  double rttMs = 0;
  double mbpsRecvRate = 0;
};

struct Event {
  enum Kind : uint8_t { kAccept, kData, kClose, kStats, kWarn, kStopped, kLog };
  Kind kind;
  int32_t id = 0;      // connection id (kLog: syslog level)
  std::string text;    // accept: streamid; data: payload; close: reason; warn/log: message
  std::string remote;  // accept: peer IP address
  ConnStats stats;     // stats
};

// A batch owns its share of the in-flight byte budget until it is destroyed
// (i.e. after JS consumed it, or when it is dropped because Node is exiting).
struct Batch {
  std::vector<Event> events;
  size_t bytes = 0;
  std::shared_ptr<std::atomic<int64_t>> inflight;
  ~Batch() {
    if (inflight) *inflight -= static_cast<int64_t>(bytes);
  }
};

// One pending listen-callback decision. Shared between the libsrt thread
// (waits) and the JS thread (answers); whichever outlives the other frees it.
class AuthRequest {
 public:
  AuthRequest(std::string sid, std::string addr)
      : streamId(std::move(sid)), remoteAddress(std::move(addr)) {}
  const std::string streamId;
  const std::string remoteAddress;

  // JS thread, before running authorize(): false when the handshake was
  // already given up on, so authorize() never runs for a rejected caller.
  bool Claim();
  void Answer(bool accept, int rejectCode, std::string passphrase);
  bool Answered();
  // Waits for Answer() up to `timeout`, giving up early when `cancel` is set.
  // Returns false on timeout/cancel (the request is then abandoned).
  bool Wait(std::chrono::milliseconds timeout, const std::atomic<bool>& cancel);

  bool accept = false;
  int rejectCode = 0;
  std::string passphrase;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool abandoned_ = false;
};

struct IngestConfig {
  std::string host;
  int port = 0;
  int latencyMs = 120;
  int peerIdleTimeoutMs = 5000;
  int authTimeoutMs = 1000;
  int64_t maxInflightBytes = 64 << 20;
  int64_t maxOutBytes = 16 << 20;
};

class Ingest {
 public:
  using BatchSink = std::function<bool(std::unique_ptr<Batch>)>;
  using AuthSink = std::function<bool(std::shared_ptr<AuthRequest>)>;
  using DoneHook = std::function<void()>;

  Ingest(IngestConfig cfg, BatchSink batches, AuthSink auth, DoneHook done);
  ~Ingest();
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  // Binds and starts the I/O thread. Returns the bound UDP port; on failure
  // returns -1 and fills `err` (nothing is left open then).
  int Start(std::string* err);
  // Asynchronous: the I/O thread closes everything, emits kStopped, calls
  // the done hook and exits. Safe from any thread, idempotent.
  void RequestStop();
  // Blocks until the I/O thread has exited (used on env teardown).
  void Join();
  void CloseConnection(int32_t id);
  // JS thread: queues bytes (whole MPEG-TS packets) for a connection that reads
  // (m=request). Returns the bytes now queued, or -1 when refused (no such
  // connection, or its queue would pass maxOutBytes).
  int64_t Send(int32_t id, const char* data, size_t len);
  int64_t Queued(int32_t id);

 private:
  struct OutQueue {
    std::string data;
    size_t sent = 0;
  };

  struct Conn {
    std::chrono::steady_clock::time_point lastData;
    int dataEvent = -1;  // index of this conn's open kData event in batch_
    uint64_t dropped = 0;
  };

  static int HookTrampoline(void* opaque, SRTSOCKET ns, int hsVersion,
                            const sockaddr* peer, const char* streamId);
  int OnHandshake(SRTSOCKET ns, const sockaddr* peer, const char* streamId);
  bool JsStalled();
  int Decide(SRTSOCKET ns, const std::shared_ptr<AuthRequest>& req);
  bool OpenListener(std::string* err);

  void Run();
  void PollOnce();
  void AcceptPending();
  void Drain(SRTSOCKET s, bool errFlag);
  void Drop(SRTSOCKET s, const char* reason);
  void AppendData(SRTSOCKET s, Conn& c, const char* buf, int len);
  void Push(Event ev);
  void Flush(bool force);
  void ApplyCloseRequests();
  void EmitStats();
  void WarnDropped();
  void DrainSrtLogs();
  void SendPending();
  void TrimMemory();
  void Shutdown();
  const char* BrokenReason(const Conn& c) const;

  const IngestConfig cfg_;
  const BatchSink batchSink_;
  const AuthSink authSink_;
  const DoneHook done_;

  SRTSOCKET listener_ = SRT_INVALID_SOCK;
  int eid_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> hooksInFlight_{0};
  // The last request that timed out; while JS has not answered it the event
  // loop is stalled and new handshakes are rejected without waiting again.
  std::mutex stallMu_;
  std::shared_ptr<AuthRequest> stalled_;

  std::mutex closeMu_;
  std::vector<int32_t> closeRequests_;

  // Outgoing bytes per connection: appended by JS, sent by the I/O thread.
  std::mutex outMu_;
  std::unordered_map<int32_t, OutQueue> out_;
  std::atomic<int64_t> lastSendMs_{0};

  // I/O-thread-only state.
  std::unordered_map<SRTSOCKET, Conn> conns_;
  std::unique_ptr<Batch> batch_;
  std::chrono::steady_clock::time_point lastFlush_, lastStats_, lastWarn_;
  uint64_t droppedTotal_ = 0, droppedReported_ = 0;
  bool trimDue_ = false;
  std::chrono::steady_clock::time_point trimAt_;
  std::shared_ptr<std::atomic<int64_t>> inflight_;
};

std::string FormatAddress(const sockaddr* sa);

// libsrt logs process-wide (to stderr by default). This routes its warnings
// and errors into a bounded queue that the running Ingest threads drain into
// their batches, so they reach the service's logger instead of stderr.
void InstallSrtLogForwarder();

}  // namespace liverelay
