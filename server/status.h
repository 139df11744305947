/*
 * /status: look up a tip by its receipt code.
 */
#ifndef TL_STATUS_H
#define TL_STATUS_H

#include "web.h"

/* GET shows the form; POST looks the code up and answers. */
void status_start(struct web_req *);

#endif
