"""Smart2Pay / GlobalPay (Nuvei APM): connector and sandbox emulator."""
