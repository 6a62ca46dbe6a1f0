// Electron main process: loads the model once and streams each chat to the window over IPC.
// GPT_OSS_MODEL names the GGUF (e.g. from `npx gpt-oss pull 20b`).
import { app, BrowserWindow, ipcMain } from "electron";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "gpt-oss-node";

const here = dirname(fileURLToPath(import.meta.url));
let model;

ipcMain.on("chat", async (event, { id, messages }) => {
  try {
    model ??= await loadModel(process.env.GPT_OSS_MODEL, { contextSize: 8192, parallel: 2 });
    for await (const part of model.stream(messages, { reasoningEffort: "low" })) {
      if (part.type === "content") event.sender.send("chat:delta", { id, delta: part.delta });
    }
    event.sender.send("chat:done", { id });
  } catch (error) {
    event.sender.send("chat:done", { id, error: error.message });
  }
});

app.whenReady().then(() => {
  const window = new BrowserWindow({ width: 720, height: 560, webPreferences: { preload: join(here, "preload.cjs") } });
  window.loadFile(join(here, "index.html"));
});
app.on("window-all-closed", async () => {
  await model?.dispose();
  app.quit();
});
