/* libably: the one header to include. Pulls in every public header: the generated
 * protocol layer (types, error codes, defaults) and the runtime (errors, codecs,
 * crypto, payload encoding). Client headers join this list as they land. */
#ifndef ABLY_ABLY_H
#define ABLY_ABLY_H

#include "ably/value.h"
#include "ably/descriptor.h"
#include "ably/gen/types.h"
#include "ably/gen/errors.h"
#include "ably/gen/defaults.h"
#include "ably/error.h"
#include "ably/codec.h"
#include "ably/crypto.h"
#include "ably/payload.h"
#include "ably/vcdiff.h"
#include "ably/options.h"
#include "ably/transport.h"
#include "ably/paginated.h"
#include "ably/rest.h"
#include "ably/rest_channel.h"
#include "ably/auth.h"
#include "ably/push_admin.h"
#include "ably/realtime.h"
#include "ably/realtime_channel.h"

#endif /* ABLY_ABLY_H */
