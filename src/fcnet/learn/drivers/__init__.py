"""Child-side drivers, one module per exercise that needs one (`torch`, `tensorflow`): the
few trusted lines that must run beside the learner's objects in the sandboxed child
(building their model, setting the checker's weights, one step of their `train`). They
hold no check and no expected value, and import nothing of fcnet's but `fcnet.learn`'s
`import_library`: the child may read them, and nothing of the exercise's checks.
"""
