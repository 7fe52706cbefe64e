// Boxoffice storefront: the few live touches on top of pages that work without script.
// - [data-countdown]: a hold's time left, each second; at zero the checkout form is disabled.
// - [data-queue-stream]: the waiting room's position, pushed by the server (Server-Sent Events);
//   when the state changes (the buyer's turn, sold out) the page reloads to show it.
// - [data-refresh-after]: a page that follows something (a payment) reloads after N seconds.
"use strict";

function startCountdowns() {
  for (const element of document.querySelectorAll("[data-countdown]")) {
    const ends = Date.parse(element.getAttribute("datetime"));
    const left = element.parentElement.querySelector("[data-countdown-left]");
    const tick = () => {
      const seconds = Math.max(0, Math.round((ends - Date.now()) / 1000));
      if (left) {
        left.textContent = `(${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")} left)`;
      }
      if (seconds === 0) {
        clearInterval(timer);
        for (const form of document.querySelectorAll("[data-expires-with]")) {
          for (const button of form.querySelectorAll("button")) {
            button.disabled = true;
          }
        }
        for (const message of document.querySelectorAll("[data-expired-message]")) {
          message.hidden = false;
        }
      }
    };
    const timer = setInterval(tick, 1000);
    tick();
  }
}

function followQueue() {
  const section = document.querySelector("[data-queue-stream]");
  if (!section || !window.EventSource) {
    return;
  }
  const state = section.getAttribute("data-state");
  const stream = new EventSource(section.getAttribute("data-queue-stream"));
  stream.addEventListener("status", (event) => {
    const status = JSON.parse(event.data);
    if (status.state !== state) {
      stream.close();
      window.location.reload();
      return;
    }
    const show = (field, value) => {
      const element = section.querySelector(`[data-field="${field}"]`);
      if (element && value !== null && value !== undefined) {
        element.textContent = value;
      }
    };
    show("position", status.position?.toLocaleString("en"));
    show("ahead", status.ahead?.toLocaleString("en"));
    if (status.estimatedWaitSeconds !== null && status.estimatedWaitSeconds !== undefined) {
      const seconds = status.estimatedWaitSeconds;
      show("wait", seconds <= 0 ? "any moment now" : seconds < 60 ? "under a minute" : `about ${Math.ceil(seconds / 60)} min`);
    }
  });
  stream.onerror = () => {
    // The stream ended (turn came, or the server went away): the page asks afresh.
    if (stream.readyState === EventSource.CLOSED) {
      window.location.reload();
    }
  };
}

function refreshLater() {
  const element = document.querySelector("[data-refresh-after]");
  if (element) {
    const seconds = Number(element.getAttribute("data-refresh-after"));
    setTimeout(() => window.location.reload(), Math.max(1, seconds) * 1000);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  startCountdowns();
  followQueue();
  refreshLater();
});
