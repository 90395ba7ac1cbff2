# Native SRT addon: the ingest listener and the relay caller. Links the system libsrt found by pkg-config
# (Debian: libsrt-openssl-dev); node-gyp takes Node's headers from nodedir.
{
  "targets": [
    {
      "target_name": "liverelay_srt",
      "sources": ["src/addon.cc", "src/ingest.cc", "src/caller.cc"],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "<!@(pkg-config --cflags-only-other srt)"],
      "include_dirs": ["<!@(pkg-config --variable=includedir srt)"],
      "libraries": ["<!@(pkg-config --libs srt)"]
    }
  ]
}
