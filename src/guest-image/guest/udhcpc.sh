#!/bin/sh
# busybox udhcpc's hook: applies a lease (address, MTU, routes including classless static routes, DNS) to $interface.
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    if ! ip -4 addr show dev "$interface" | grep -q "inet $ip/$mask "; then
      ip -4 addr flush dev "$interface"
      ip addr add "$ip/$mask" broadcast "${broadcast:-+}" dev "$interface"
    fi
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    # RFC 3442: when option 121 is present the router option is ignored; a 0.0.0.0 gateway means on-link.
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        if [ "$2" = 0.0.0.0 ]; then ip route replace "$1" dev "$interface"
        else ip route replace "$1" via "$2" dev "$interface"; fi
        shift 2
      done
    elif [ -n "$router" ]; then
      set -- $router
      ip route replace default via "$1" dev "$interface"
    fi
    {
      [ -n "$domain" ] && echo "search $domain"
      for s in $dns; do echo "nameserver $s"; done
    } > /etc/resolv.conf
    echo "stratus-guest: $interface has $ip/$mask"
    ;;
esac
exit 0
