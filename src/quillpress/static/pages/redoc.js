/* Boots ReDoc on /redoc (quillpress/api/docs.py). Quillpress's own file: kept out of the
   page so its Content-Security-Policy can forbid inline script.

   ReDoc's styled-components inserts <style> elements while it renders; the page's policy
   allows them only with the nonce of this response, which this script tag carries and
   ReDoc's `nonce` option puts on each of them. (`document.currentScript.nonce`: browsers
   hide nonce attributes from the DOM, the property still holds it.) */
"use strict";
(function () {
  var nonce = document.currentScript.nonce;
  var config = JSON.parse(document.getElementById("redoc-config").textContent);
  Redoc.init(config.specUrl, { nonce: nonce }, document.getElementById("redoc"));
})();
