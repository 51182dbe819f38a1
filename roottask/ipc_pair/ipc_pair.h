/* The protocol between ipc_producer and ipc_consumer, and the slots their
 * manifest entries (roottask/components.toml) put their caps in:
 * IPC_PAIR_MESSAGES seL4_Calls on the channel endpoint, each answered by
 * the consumer (seL4_ReplyRecv), then a page of the shared frame written by
 * the producer and announced on the notification. */
#ifndef IPC_PAIR_H
#define IPC_PAIR_H

#include "component_abi.h"

#define IPC_PAIR_CHANNEL_SLOT      COMPONENT_FIRST_CAP_SLOT          /* endpoint */
#define IPC_PAIR_NOTIFICATION_SLOT (COMPONENT_FIRST_CAP_SLOT + 1)    /* notification */
/* The consumer's Reply object (MCS; the slot is empty without MCS). */
#define IPC_PAIR_REPLY_SLOT        (COMPONENT_FIRST_CAP_SLOT + 2)
#define IPC_PAIR_SHARED_FRAME      COMPONENT_FRAME_BASE             /* frame 0 */

#define IPC_PAIR_MESSAGES          16
#define IPC_PAIR_LABEL             0x1c0
#define IPC_PAIR_LENGTH            6       /* MR4, MR5 through the IPC buffers */
/* The badges components.toml mints on the producer's caps. */
#define IPC_PAIR_CHANNEL_BADGE     0x11
#define IPC_PAIR_SIGNAL_BADGE      0x1

/* Word w of message i, and byte k of the shared page. */
#define IPC_PAIR_WORD(i, w)        (0x1000000ull * (unsigned long long)(w) + 0x100ull * (unsigned long long)(i) + 0x5a)
#define IPC_PAIR_BYTE(k)           ((unsigned char)((k) * 7u + 3u))

#endif
