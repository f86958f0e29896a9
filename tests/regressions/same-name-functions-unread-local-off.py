def f(a, b):
    def inner():
        x = 1
        return x
    y = inner()
    def inner():
        x = 1
        x = None
        if client.is_enabled("k"):
            x = trace("p")
        return x
    return ('end', y, inner())
