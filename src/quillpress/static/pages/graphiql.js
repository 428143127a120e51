/* Boots GraphiQL on GET /graphql (quillpress/api/docs.py). Quillpress's own file: kept out
   of the page so its Content-Security-Policy can forbid inline script. The endpoint and the
   default query come from the page's JSON data block #graphiql-config.

   The scroll lock GraphiQL's dialogs use (react-remove-scroll-bar, bundled) inserts a
   <style> element when a dialog opens; the page's policy allows it only with the nonce of
   this response, which this script tag carries and the bundle reads from the global
   `__webpack_nonce__`. (`document.currentScript.nonce`: browsers hide nonce attributes from
   the DOM, the property still holds it.) */
"use strict";
(function () {
  window.__webpack_nonce__ = document.currentScript.nonce;
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var fetcher = GraphiQL.createFetcher({ url: config.endpoint });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: config.defaultQuery,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    })
  );
})();
