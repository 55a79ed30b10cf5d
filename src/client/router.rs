//! Where an application's handler registrations go: to the Subscriptions actor of the
//! pool connection that serves the device (a typed handler), of the first connection (a
//! raw filter), or of the connection whose registry issued the id (a removal).

use actix::{Actor, ActorContext, Context, Handler, ResponseFuture};
use futures::future::ready;

use super::pool::Stacks;
use super::wiring::DeviceList;
use crate::lifecycle::Shutdown;
use crate::subscriptions::{
    AddFilterHandler, AddHandler, Registration, RegistrationError, RemoveHandler,
    SubscriptionSettings,
};

/// Routes handler registrations to the right connection's Subscriptions actor.
pub(super) struct HandlerRouter {
    pub(super) stacks: Stacks,
    pub(super) devices: DeviceList,
}

impl Actor for HandlerRouter {
    type Context = Context<Self>;
}

type Registered = ResponseFuture<Result<Registration, RegistrationError>>;

impl HandlerRouter {
    fn forward<M>(&self, index: usize, msg: M) -> Registered
    where
        M: actix::Message<Result = Result<Registration, RegistrationError>> + Send + 'static,
        crate::subscriptions::Subscriptions: Handler<M>,
    {
        let Some(stack) = self.stacks.get(index).or_else(|| self.stacks.get(0)) else {
            return Box::pin(ready(Err(RegistrationError::Stopped)));
        };
        let subscriptions = stack.actors.subscriptions;
        Box::pin(async move {
            subscriptions
                .send(msg)
                .await
                .unwrap_or(Err(RegistrationError::Stopped))
        })
    }
}

impl Handler<AddHandler> for HandlerRouter {
    type Result = Registered;

    fn handle(&mut self, msg: AddHandler, _: &mut Context<Self>) -> Self::Result {
        // A device the client does not follow gets its handler on the first connection.
        let index = self
            .devices
            .find(msg.device.mac.as_str())
            .map_or(0, |(_, index)| index);
        self.forward(index, msg)
    }
}

impl Handler<AddFilterHandler> for HandlerRouter {
    type Result = Registered;

    fn handle(&mut self, msg: AddFilterHandler, _: &mut Context<Self>) -> Self::Result {
        self.forward(0, msg)
    }
}

impl Handler<RemoveHandler> for HandlerRouter {
    type Result = ResponseFuture<bool>;

    fn handle(&mut self, msg: RemoveHandler, _: &mut Context<Self>) -> Self::Result {
        let index = SubscriptionSettings::connection_of(msg.0);
        let Some(stack) = self.stacks.get(index) else {
            return Box::pin(ready(false));
        };
        let subscriptions = stack.actors.subscriptions;
        Box::pin(async move { subscriptions.send(msg).await.unwrap_or(false) })
    }
}

impl Handler<Shutdown> for HandlerRouter {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
