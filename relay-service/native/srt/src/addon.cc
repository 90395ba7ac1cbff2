// Node-API glue for the SRT ingest core (ingest.cc holds the design notes).
//
// JS surface (wrapped by relay-service/src/srt/native.ts):
//   new NativeServer({host, port, latencyMs, peerIdleTimeoutMs, authTimeoutMs},
//                    onEvents(events[]), onAuthorize(streamId, remoteAddress))
//   .listen() -> bound port      .close() -> void (a "stopped" event follows)
//   .closeConnection(id)
//   .send(id, buffer) -> bytes queued, or -1 (a reader's MPEG-TS, m=request)
//   .queued(id) -> bytes queued, or -1
// onAuthorize must return {accept: true, passphrase?: string} or
// {accept: false, code: number}. Both callbacks run on the JS thread.
//
//   new NativeCallerPool(onEvents(events[]))      (caller.cc holds the design notes)
//   .connect({address, port, streamId?, passphrase?, pbkeylen?, latencyMs?,
//             connectTimeoutMs?, peerIdleTimeoutMs?, maxQueueBytes?}) -> id
//   .send(id, buffer) -> bytes queued, or -1 when refused
//   .queued(id) -> bytes      .finish(id)      .close(id)
// Events: {type: "connected", id}, {type: "stats", id, bytesSubmitted, bytesUnacked,
// bytesDropped, queuedBytes, rttMs, mbpsSendRate}, {type: "closed", id, reason,
// rejectReason, message, msSinceHeard}; exactly one "closed" per connect().
#include <napi.h>
#include <srt/access_control.h>

#include "caller.h"
#include "ingest.h"

namespace liverelay {
namespace {

using AuthPtr = std::shared_ptr<AuthRequest>;

Napi::Object ToJs(Napi::Env env, const Event& ev) {
  static const char* const kTypes[] = {"accept", "data", "close", "stats",
                                       "warn",   "stopped", "log"};
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", kTypes[ev.kind]);
  o.Set("id", ev.id);
  switch (ev.kind) {
    case Event::kAccept:
      o.Set("streamId", ev.text);
      o.Set("remoteAddress", ev.remote);
      break;
    case Event::kData:
      o.Set("data", Napi::Buffer<char>::Copy(env, ev.text.data(), ev.text.size()));
      break;
    case Event::kStats:
      o.Set("packetsLost", static_cast<double>(ev.stats.packetsLost));
      o.Set("rttMs", ev.stats.rttMs);
      o.Set("mbpsRecvRate", ev.stats.mbpsRecvRate);
      break;
    default:
      o.Set("message", ev.text);  // close: reason; warn: text
  }
  return o;
}

// Hands one batch of native events to JS as one array: one callback per batch,
// never one per packet. Freeing the batch un-counts its bytes (ingest).
template <typename BatchT, typename EventT, Napi::Object (*Convert)(Napi::Env, const EventT&)>
void CallWithBatch(Napi::Env env, Napi::Function fn, std::nullptr_t*, BatchT* raw) {
  std::unique_ptr<BatchT> batch(raw);
  if (env == nullptr || fn.IsEmpty()) return;  // Node is shutting down
  try {
    Napi::Array arr = Napi::Array::New(env, batch->events.size());
    for (size_t i = 0; i < batch->events.size(); i++) arr.Set(i, Convert(env, batch->events[i]));
    fn.Call({arr});
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();  // surfaces as an uncaught JS exception
  }
}

void AnswerFromJs(Napi::Value v, AuthRequest& req) {
  if (!v.IsObject()) return req.Answer(false, SRT_REJX_ISE, "");
  Napi::Object o = v.As<Napi::Object>();
  if (o.Get("accept").ToBoolean()) {
    Napi::Value pass = o.Get("passphrase");
    return req.Answer(true, 0, pass.IsString() ? pass.As<Napi::String>().Utf8Value() : "");
  }
  Napi::Value code = o.Get("code");
  int c = code.IsNumber() ? code.As<Napi::Number>().Int32Value() : SRT_REJX_BAD_REQUEST;
  // srt_setrejectreason only accepts application codes (>= 1000).
  req.Answer(false, c >= SRT_REJC_PREDEFINED ? c : SRT_REJX_BAD_REQUEST, "");
}

void CallAuth(Napi::Env env, Napi::Function fn, std::nullptr_t*, AuthPtr* raw) {
  std::unique_ptr<AuthPtr> holder(raw);
  AuthRequest& req = **holder;
  if (env == nullptr || fn.IsEmpty()) return req.Answer(false, SRT_REJX_DOWN, "");
  if (!req.Claim()) return req.Answer(false, SRT_REJX_OVERLOAD, "");  // caller already rejected
  try {
    AnswerFromJs(fn.Call({Napi::String::New(env, req.streamId),
                          Napi::String::New(env, req.remoteAddress)}),
                 req);
  } catch (const Napi::Error& e) {
    req.Answer(false, SRT_REJX_ISE, "");
    e.ThrowAsJavaScriptException();
  }
}

using EventsFn = Napi::TypedThreadSafeFunction<std::nullptr_t, Batch, CallWithBatch<Batch, Event, ToJs>>;
using AuthFn = Napi::TypedThreadSafeFunction<std::nullptr_t, AuthPtr, CallAuth>;

int IntOption(Napi::Object o, const char* key, int fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : fallback;
}

class NativeServer : public Napi::ObjectWrap<NativeServer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeServer",
                       {InstanceMethod<&NativeServer::Listen>("listen"),
                        InstanceMethod<&NativeServer::Close>("close"),
                        InstanceMethod<&NativeServer::CloseConnection>("closeConnection"),
                        InstanceMethod<&NativeServer::Send>("send"),
                        InstanceMethod<&NativeServer::Queued>("queued")});
  }

  explicit NativeServer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeServer>(info) {
    if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsFunction() ||
        !info[2].IsFunction()) {
      throw Napi::TypeError::New(info.Env(), "NativeServer(options, onEvents, onAuthorize)");
    }
    Napi::Object o = info[0].As<Napi::Object>();
    cfg_.host = o.Get("host").ToString().Utf8Value();
    cfg_.port = IntOption(o, "port", 0);
    cfg_.latencyMs = IntOption(o, "latencyMs", 120);
    cfg_.peerIdleTimeoutMs = IntOption(o, "peerIdleTimeoutMs", 5000);
    cfg_.authTimeoutMs = IntOption(o, "authTimeoutMs", 1000);
    onEvents_ = Napi::Persistent(info[1].As<Napi::Function>());
    onAuthorize_ = Napi::Persistent(info[2].As<Napi::Function>());
  }

  ~NativeServer() override {
    if (hookAdded_) napi_remove_env_cleanup_hook(Env(), &NativeServer::OnEnvCleanup, this);
    ingest_.reset();  // stops and joins the I/O thread if still running
  }

 private:
  Napi::Value Listen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (ingest_) throw Napi::Error::New(env, "already listening");
    EventsFn events = EventsFn::New(env, onEvents_.Value(), "liverelay-srt-events", 0, 1);
    AuthFn auth = AuthFn::New(env, onAuthorize_.Value(), "liverelay-srt-auth", 0, 1);
    ingest_ = std::make_unique<Ingest>(cfg_, BatchSink(events), AuthSink(auth),
                                       [events, auth]() { events.Release(), auth.Release(); });
    std::string err;
    const int port = ingest_->Start(&err);
    if (port < 0) {
      ingest_.reset();  // thread never started, so the done hook never ran
      events.Release();
      auth.Release();
      throw Napi::Error::New(env, err);
    }
    hookAdded_ = napi_add_env_cleanup_hook(env, &NativeServer::OnEnvCleanup, this) == napi_ok;
    return Napi::Number::New(env, port);
  }

  void Close(const Napi::CallbackInfo&) {
    if (ingest_) ingest_->RequestStop();
  }

  void CloseConnection(const Napi::CallbackInfo& info) {
    if (ingest_ && info.Length() > 0 && info[0].IsNumber()) {
      ingest_->CloseConnection(info[0].As<Napi::Number>().Int32Value());
    }
  }

  // A reader connection's outgoing bytes (m=request): bytes now queued, or -1.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBuffer()) throw Napi::TypeError::New(info.Env(), "send(id, buffer)");
    if (!ingest_) return Napi::Number::New(info.Env(), -1);
    auto buf = info[1].As<Napi::Buffer<char>>();
    return Napi::Number::New(info.Env(), static_cast<double>(ingest_->Send(info[0].As<Napi::Number>().Int32Value(), buf.Data(), buf.Length())));
  }

  Napi::Value Queued(const Napi::CallbackInfo& info) {
    if (!ingest_ || info.Length() < 1 || !info[0].IsNumber()) return Napi::Number::New(info.Env(), -1);
    return Napi::Number::New(info.Env(), static_cast<double>(ingest_->Queued(info[0].As<Napi::Number>().Int32Value())));
  }

  static Ingest::BatchSink BatchSink(EventsFn fn) {
    return [fn](std::unique_ptr<Batch> batch) {
      Batch* raw = batch.release();
      if (fn.NonBlockingCall(raw) == napi_ok) return true;
      delete raw;
      return false;
    };
  }

  static Ingest::AuthSink AuthSink(AuthFn fn) {
    return [fn](AuthPtr req) {
      auto* raw = new AuthPtr(std::move(req));
      if (fn.NonBlockingCall(raw) == napi_ok) return true;
      delete raw;
      return false;
    };
  }

  // Env teardown (process exit, worker termination) without close(): stop the
  // I/O thread before libsrt's globals are destroyed under it.
  static void OnEnvCleanup(void* arg) {
    auto* self = static_cast<NativeServer*>(arg);
    self->hookAdded_ = false;
    if (self->ingest_) {
      self->ingest_->RequestStop();
      self->ingest_->Join();
    }
  }

  IngestConfig cfg_;
  Napi::FunctionReference onEvents_;
  Napi::FunctionReference onAuthorize_;
  std::unique_ptr<Ingest> ingest_;
  bool hookAdded_ = false;
};

Napi::Object CallerEventToJs(Napi::Env env, const CallerEvent& ev) {
  static const char* const kTypes[] = {"connected", "stats", "closed"};
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", kTypes[ev.kind]);
  o.Set("id", ev.id);
  if (ev.kind == CallerEvent::kStats) {
    o.Set("bytesSubmitted", static_cast<double>(ev.bytesSubmitted));
    o.Set("bytesUnacked", static_cast<double>(ev.bytesUnacked));
    o.Set("bytesDropped", static_cast<double>(ev.bytesDropped));
    o.Set("queuedBytes", static_cast<double>(ev.queuedBytes));
    o.Set("rttMs", ev.rttMs);
    o.Set("mbpsSendRate", ev.mbpsSendRate);
  } else if (ev.kind == CallerEvent::kClosed) {
    o.Set("reason", ev.reason);
    o.Set("rejectReason", ev.rejectReason);
    o.Set("message", ev.message);
    o.Set("msSinceHeard", static_cast<double>(ev.msSinceHeard));
  }
  return o;
}

using CallerEventsFn =
    Napi::TypedThreadSafeFunction<std::nullptr_t, CallerBatch, CallWithBatch<CallerBatch, CallerEvent, CallerEventToJs>>;

std::string StringOption(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
}

int32_t IdArg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "id must be a number");
  return info[0].As<Napi::Number>().Int32Value();
}

// The pool's TSFN keeps Node alive only while a connection is open, so an idle
// pool never holds the process up at exit.
class NativeCallerPool : public Napi::ObjectWrap<NativeCallerPool> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeCallerPool",
                       {InstanceMethod<&NativeCallerPool::Connect>("connect"),
                        InstanceMethod<&NativeCallerPool::Send>("send"),
                        InstanceMethod<&NativeCallerPool::Queued>("queued"),
                        InstanceMethod<&NativeCallerPool::Finish>("finish"),
                        InstanceMethod<&NativeCallerPool::Close>("close")});
  }

  explicit NativeCallerPool(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeCallerPool>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "NativeCallerPool(onEvents)");
    onEvents_ = Napi::Persistent(info[0].As<Napi::Function>());
    Napi::Function wrapper = Napi::Function::New(env, [this](const Napi::CallbackInfo& ci) { OnEvents(ci); });
    events_ = CallerEventsFn::New(env, wrapper, "liverelay-srt-caller-events", 0, 1);
    events_.Unref(env);
    CallerEventsFn fn = events_;
    pool_ = std::make_unique<CallerPool>([fn](std::unique_ptr<CallerBatch> batch) {
      CallerBatch* raw = batch.release();
      if (fn.NonBlockingCall(raw) == napi_ok) return true;
      delete raw;
      return false;
    });
    napi_add_env_cleanup_hook(env, &NativeCallerPool::OnEnvCleanup, this);
  }

  ~NativeCallerPool() override {
    napi_remove_env_cleanup_hook(Env(), &NativeCallerPool::OnEnvCleanup, this);
    Stop();
  }

 private:
  Napi::Value Connect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "connect(options)");
    Napi::Object o = info[0].As<Napi::Object>();
    CallerOptions opts;
    opts.address = StringOption(o, "address");
    opts.port = IntOption(o, "port", 0);
    opts.streamId = StringOption(o, "streamId");
    opts.passphrase = StringOption(o, "passphrase");
    opts.pbkeylen = IntOption(o, "pbkeylen", 0);
    opts.latencyMs = IntOption(o, "latencyMs", 120);
    opts.connectTimeoutMs = IntOption(o, "connectTimeoutMs", 3000);
    opts.peerIdleTimeoutMs = IntOption(o, "peerIdleTimeoutMs", 5000);
    Napi::Value max = o.Get("maxQueueBytes");
    if (max.IsNumber()) opts.maxQueueBytes = max.As<Napi::Number>().Int64Value();
    if (open_++ == 0) events_.Ref(env);
    return Napi::Number::New(env, pool_->Connect(std::move(opts)));
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    const int32_t id = IdArg(info);
    if (info.Length() < 2 || !info[1].IsBuffer()) throw Napi::TypeError::New(info.Env(), "send(id, buffer)");
    auto buf = info[1].As<Napi::Buffer<char>>();
    return Napi::Number::New(info.Env(), static_cast<double>(pool_->Send(id, buf.Data(), buf.Length())));
  }

  Napi::Value Queued(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(pool_->Queued(IdArg(info))));
  }

  void Finish(const Napi::CallbackInfo& info) { pool_->Finish(IdArg(info)); }
  void Close(const Napi::CallbackInfo& info) { pool_->Close(IdArg(info)); }

  void OnEvents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array events = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < events.Length(); i++) {
      Napi::Value type = events.Get(i).As<Napi::Object>().Get("type");
      if (type.IsString() && type.As<Napi::String>().Utf8Value() == "closed" && --open_ == 0) events_.Unref(env);
    }
    onEvents_.Call({events});
  }

  void Stop() {
    if (!pool_) return;
    pool_->Shutdown();
    pool_.reset();
    events_.Release();
  }

  static void OnEnvCleanup(void* arg) { static_cast<NativeCallerPool*>(arg)->Stop(); }

  Napi::FunctionReference onEvents_;
  CallerEventsFn events_;
  std::unique_ptr<CallerPool> pool_;
  int64_t open_ = 0;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  srt_startup();  // reference counted inside libsrt
  InstallSrtLogForwarder();
  napi_add_env_cleanup_hook(env, [](void*) { srt_cleanup(); }, nullptr);
  exports.Set("NativeServer", NativeServer::Define(env));
  exports.Set("NativeCallerPool", NativeCallerPool::Define(env));
  const uint32_t v = srt_getversion();
  exports.Set("srtVersion", std::to_string(v >> 16) + "." + std::to_string((v >> 8) & 0xff) +
                                "." + std::to_string(v & 0xff));
  return exports;
}

}  // namespace
}  // namespace liverelay

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return liverelay::Init(env, exports);
}

NODE_API_MODULE(liverelay_srt, InitAddon)
