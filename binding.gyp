{
  "targets": [
    {
      "target_name": "gpt_oss_node",
      "type": "none",
      "actions": [
        {
          "action_name": "build_with_cmake_js",
          "inputs": ["CMakeLists.txt"],
          "outputs": ["build/Release/gpt_oss_node.node"],
          "action": ["node", "scripts/build-native.mjs"]
        }
      ]
    }
  ]
}
