/* Boots Swagger UI on /docs (quillpress/api/docs.py). Quillpress's own file: kept out of
   the page so its Content-Security-Policy can forbid inline script. The settings come from
   the page's JSON data block #swagger-ui-config (FastAPI's defaults and the app's own). */
"use strict";
(function () {
  var config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  var initOAuth = config.initOAuth;
  delete config.initOAuth;
  if (config.oauth2RedirectUrl) {
    config.oauth2RedirectUrl = window.location.origin + config.oauth2RedirectUrl;
  }
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  var ui = SwaggerUIBundle(config);
  if (initOAuth) {
    ui.initOAuth(initOAuth);
  }
  window.ui = ui;
})();
