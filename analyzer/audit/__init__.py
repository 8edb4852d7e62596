"""The scheduled audit run as a library: collect, append to history, run the findings rules,
build the report and deliver it."""
