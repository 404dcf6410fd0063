"""The read-only console in the browser, under ``/console``: static files served by this
process, which call the API with the key the user gives the page."""
