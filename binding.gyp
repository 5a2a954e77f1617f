{
  "targets": [
    {
      "target_name": "static-executables",
      "type": "none",
      "actions": [
        {
          "action_name": "build-static",
          "inputs": [
            "native/build-static.sh",
            "<!@(ls -1 native/include/*.h native/common/*.[ch] native/init/*.[ch] native/shim/*.[ch] native/reaper/*.c)"
          ],
          "outputs": ["<(PRODUCT_DIR)/berth-init", "<(PRODUCT_DIR)/berth-shim", "<(PRODUCT_DIR)/berth-reaper"],
          "action": ["sh", "native/build-static.sh", "<(PRODUCT_DIR)"]
        }
      ]
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
