/* Commit and reveal in the browser (JDP §2): the secret is made here with crypto.getRandomValues, offered
   as a file to keep, and only its commitment is sent; the reveal reads that file back, checks it against
   the published commitment here, and the server checks it again. The secret never reaches the hub before
   the reveal. Without JavaScript the same forms take a commitment made with `hub task commit`, and the
   secret file itself at the reveal. */
(function () {
  "use strict";
  var SECRET = /^[0-9a-f]{32,256}$/;
  var MSG = {}; // page-wide messages, in the page's language (data-msg-* on the first party form)

  function toHex(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return s;
  }

  /** H(data) as lower-case hex: SHA-256 through WebCrypto, or SM3 (sm3.js). */
  function digestHex(hashName, data) {
    if (hashName === "sm3") return Promise.resolve(window.HubSM3.hex(data));
    if (!window.crypto || !window.crypto.subtle) {
      return Promise.reject(new Error(MSG.noCrypto || "此浏览器不支持 WebCrypto（须通过 HTTPS 或本机地址访问）"));
    }
    return window.crypto.subtle.digest("SHA-256", data).then(function (buf) { return toHex(new Uint8Array(buf)); });
  }

  /** JDP: H(protocol " commit" LF party "=" secret_hex). */
  function commitment(protocol, hashName, party, secretHex) {
    return digestHex(hashName, new TextEncoder().encode(protocol + " commit\n" + party + "=" + secretHex));
  }

  function newSecret() {
    var bytes = new Uint8Array(32);
    window.crypto.getRandomValues(bytes);
    return toHex(bytes);
  }

  function say(el, text, bad) {
    el.textContent = text;
    el.classList.toggle("error", !!bad);
    el.classList.toggle("ok", !bad);
  }

  function wireCommit(form) {
    var d = form.dataset, status = form.querySelector(".party-status");
    var make = form.querySelector(".make-secret"), link = form.querySelector(".secret-download");
    var field = form.querySelector("input[name=commitment]"), submit = form.querySelector("button[type=submit]");
    var saved = false;
    make.hidden = false;
    submit.disabled = true;
    make.addEventListener("click", function () {
      var secret = newSecret();
      commitment(d.protocol, d.hash, d.party, secret).then(function (value) {
        field.value = value;
        field.readOnly = true;
        var blob = new Blob([secret + "\n"], { type: "text/plain" });
        link.href = URL.createObjectURL(blob);
        link.download = d.task + "-" + d.party + ".secret";
        link.hidden = false;
        make.disabled = true;
        say(status, d.msgMade, false);
      }, function (err) { say(status, String(err.message || err), true); });
    });
    link.addEventListener("click", function () {
      saved = true;
      submit.disabled = false;
    });
    form.addEventListener("submit", function (ev) {
      if (field.readOnly && !saved) {
        ev.preventDefault();
        say(status, d.msgDownloadFirst, true);
      }
    });
  }

  function wireReveal(form) {
    var d = form.dataset, status = form.querySelector(".party-status");
    var file = form.querySelector("input[type=file]"), submit = form.querySelector("button[type=submit]");
    var hidden = form.querySelector("input[name=secret_hex]");
    submit.disabled = true;
    file.addEventListener("change", function () {
      submit.disabled = true;
      hidden.value = "";
      if (!file.files.length) return;
      file.files[0].text().then(function (text) {
        var secret = text.trim();
        if (!SECRET.test(secret)) {
          say(status, d.msgNotSecret, true);
          return;
        }
        return commitment(d.protocol, d.hash, d.party, secret).then(function (value) {
          if (value !== d.commitment) {
            say(status, d.msgMismatch, true);
            return;
          }
          hidden.value = secret;
          submit.disabled = false;
          say(status, d.msgMatch, false);
        });
      }).catch(function (err) { say(status, String(err.message || err), true); });
    });
  }

  window.HubJDP = { commitment: commitment, newSecret: newSecret, digestHex: digestHex };
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector("form[data-party-commit], form[data-party-reveal]");
    if (first) MSG.noCrypto = first.dataset.msgNoCrypto;
    document.querySelectorAll("form[data-party-commit]").forEach(wireCommit);
    document.querySelectorAll("form[data-party-reveal]").forEach(wireReveal);
  });
})();
