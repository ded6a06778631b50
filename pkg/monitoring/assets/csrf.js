// WardOps: asynqmon's writes are cookie-authenticated, and the API wants the session's CSRF
// token in X-CSRF-Token (pkg/auth). asynqmon's axios cannot be configured from outside, so every
// same-origin XMLHttpRequest write of this page carries the token from the wardops_csrf cookie.
(function () {
  'use strict';
  function token() {
    var m = document.cookie.match(/(?:^|;\s*)wardops_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  var open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.wardopsWrite = !/^(GET|HEAD|OPTIONS)$/i.test(String(method)) &&
      new URL(String(url), location.href).origin === location.origin;
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var t = token();
    if (this.wardopsWrite && t) this.setRequestHeader('X-CSRF-Token', t);
    return send.apply(this, arguments);
  };
})();
