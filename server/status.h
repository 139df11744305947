/*
 * /status: look up a tip by its receipt code.
 */
#ifndef TL_STATUS_H
#define TL_STATUS_H

#include <event2/http.h>

#include "i18n.h"

struct intake;

/* GET shows the form; POST looks the code up. */
void status_start(struct intake *, struct evhttp_request *, enum lang);

#endif
