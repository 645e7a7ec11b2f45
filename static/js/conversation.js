// Entry point of the conversation page. The history is already on the page;
// this only adds the live part on top of it.

import { LiveConversation } from "./conversation/live-conversation.js";

const root = document.getElementById("conversation");
const panel = document.querySelector("[data-live-panel]");
if (root && panel) {
  new LiveConversation(root, panel).start();
}
