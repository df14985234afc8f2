{
  "variables": {
    "libtorch%": "<!(node scripts/libtorch-config.mjs dir)",
    "cuda%": "<!(node scripts/libtorch-config.mjs cuda)",
    "cuda_headers%": "<!(node scripts/libtorch-config.mjs cuda-headers)",
    "cxx11_abi%": "<!(node scripts/libtorch-config.mjs abi)",
    "dnnl%": "<!(node scripts/libtorch-config.mjs dnnl)",
    "nccl%": "<!(node -p \"process.env.YOLOTS_NCCL || ''\")"
  },
  "targets": [
    {
      "target_name": "yolots_torch",
      "sources": [
        "native/addon.cc",
        "native/handle.cc",
        "native/memory.cc",
        "native/block_pool.cc",
        "native/dispatch.cc",
        "native/tensor_data.cc",
        "native/autograd.cc",
        "native/batch_norm_silu.cc",
        "native/runtime.cc",
        "native/distributed.cc",
        "native/autocast.cc",
        "native/prepacked_conv.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "USE_DISTRIBUTED", "USE_C10D_GLOO"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      # gyp turns a variable whose text is an integer into an int: "cuda==1" matches a CUDA libtorch, "cuda=='1'" never does.
      "conditions": [
        ["libtorch==''", {
          "include_dirs": ["/usr/include/torch/csrc/api/include"],
          "libraries": ["-ltorch", "-ltorch_cpu", "-lc10"]
        }, {
          "include_dirs": ["<(libtorch)/include", "<(libtorch)/include/torch/csrc/api/include"],
          "libraries": ["-L<(libtorch)/lib", "-Wl,-rpath,<(libtorch)/lib", "-ltorch", "-ltorch_cpu", "-lc10"]
        }],
        ["cuda==1", {
          "libraries": ["-Wl,--no-as-needed", "-ltorch_cuda", "-lc10_cuda", "-Wl,--as-needed"]
        }],
        ["cuda_headers==1", {
          "defines": ["YOLOTS_CUDA_ALLOCATOR"],
          "include_dirs": ["<!@(node scripts/libtorch-config.mjs cuda-includes)"]
        }],
        ["nccl==1 or (nccl=='' and cuda==1)", {
          "defines": ["USE_C10D_NCCL"],
          "include_dirs": ["<!@(node scripts/libtorch-config.mjs cuda-includes)"]
        }],
        ["dnnl==1", {
          "sources": ["native/dnnl_conv.cc"],
          "defines": ["YOLOTS_DNNL"],
          "libraries": ["-ldnnl"]
        }],
        ["cxx11_abi!=''", {
          "defines": ["_GLIBCXX_USE_CXX11_ABI=<(cxx11_abi)"]
        }]
      ]
    }
  ]
}
