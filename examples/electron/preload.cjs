// The window's only bridge to the main process: send a chat, receive its deltas.
const { contextBridge, ipcRenderer } = require("electron");

contextBridge.exposeInMainWorld("gptOss", {
  chat(id, messages) {
    ipcRenderer.send("chat", { id, messages });
  },
  onDelta(listener) {
    ipcRenderer.on("chat:delta", (_event, message) => listener(message));
  },
  onDone(listener) {
    ipcRenderer.on("chat:done", (_event, message) => listener(message));
  },
});
