{
  "targets": [
    {
      "target_name": "berth-init",
      "type": "executable",
      "sources": [
        "<!@(ls -1 native/common/*.c native/init/*.c)"
      ],
      "include_dirs": ["native/include", "native/common", "native/init"],
      "cflags!": ["-fno-exceptions", "-fno-rtti", "-fno-strict-aliasing", "-O3", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE"],
      "ldflags": ["-static"]
    },
    {
      "target_name": "berth-shim",
      "type": "executable",
      "sources": [
        "<!@(ls -1 native/common/*.c native/shim/*.c)"
      ],
      "include_dirs": ["native/include", "native/common", "native/shim"],
      "cflags!": ["-fno-exceptions", "-fno-rtti", "-fno-strict-aliasing", "-O3", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE"],
      "ldflags": ["-static"]
    },
    {
      "target_name": "berth-reaper",
      "type": "executable",
      "sources": ["native/reaper/reaper.c"],
      "cflags!": ["-fno-exceptions", "-fno-rtti", "-fno-strict-aliasing", "-O3", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE"],
      "ldflags": ["-static"]
    },
    {
      "target_name": "berth_addon",
      "sources": [
        "<!@(ls -1 native/addon/*.c)"
      ],
      "include_dirs": ["native/include", "native/common", "native/addon"],
      "cflags!": ["-fno-exceptions", "-fno-rtti", "-fno-strict-aliasing", "-O3", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE"]
    }
  ]
}
